"""Texts are never lost and never sent twice: lost jobs, Twilio errors, retries, claims and the throttle."""

from __future__ import annotations

import threading
from datetime import timedelta

import time_machine
from rq.job import Job
from rq.registry import ScheduledJobRegistry

from tests.support import free_port, work
from tests.support.prism import PrismTwilio
from tests.texts.steps import (
    NOW,
    PUBLIC,
    SERVICE,
    TO,
    iso,
    message,
    post,
    scheduled_jobs,
)
from voicebox import throttle
from voicebox.extensions import db
from voicebox.jobs import sweep, sweep_lock
from voicebox.jobs.messages import sweep_messages
from voicebox.models import Message
from voicebox.queueing import get_queue, get_redis
from voicebox.services import delivery

WINDOW_END = timedelta(days=35)
HANDOFF_LEAD = timedelta(minutes=10)


def lose_every_job() -> None:
    """What a Redis restart without persistence does: every queued and scheduled job is gone."""
    queue = get_queue()
    registry = ScheduledJobRegistry(queue=queue)
    for job_id in registry.get_job_ids() + queue.get_job_ids():
        Job.fetch(job_id, connection=get_redis()).delete()
    assert scheduled_jobs() == {} and queue.count == 0


def test_the_sweep_hands_off_a_message_whose_job_was_lost(client, prism):
    send_at = NOW + timedelta(days=50)
    handoff = send_at - WINDOW_END + HANDOFF_LEAD
    with time_machine.travel(NOW, tick=False):
        message_id = post(client, "/api/messages", {"to": TO, "body": "x", "send_at": iso(send_at)}).json["id"]
    lose_every_job()
    with time_machine.travel(handoff + timedelta(seconds=30), tick=False):
        work()
        assert prism.creates() == []  # nothing in Redis: without the sweep it would wait forever
        get_redis().delete(sweep_lock())
        assert sweep()["messages"] == 1
        assert sweep_messages() == 0  # its job is queued now: a second sweep adds nothing
        work()
    [create] = prism.creates()
    assert create.accepted_by_prism and create.data["SendAt"] == send_at.strftime("%Y-%m-%dT%H:%M:%SZ")
    assert message(message_id).status == "scheduled"


def test_one_sweep_a_minute_however_many_workers_enqueue_it(client, prism):
    # Every worker's scheduler enqueues the sweep each minute; a Redis lock lets only the first one run.
    send_at = NOW + timedelta(minutes=5)
    with time_machine.travel(NOW, tick=False):
        post(client, "/api/messages", {"to": TO, "body": "x", "send_at": iso(send_at)})
    lose_every_job()
    get_redis().delete(sweep_lock())
    with time_machine.travel(send_at + timedelta(seconds=20), tick=False):
        assert sweep()["messages"] == 1
        lose_every_job()  # lost again: only the lock stops a second sweep in the same minute finding it
        assert sweep() == {}
        assert 0 < get_redis().ttl(sweep_lock()) <= 50  # it expires: a crashed sweep cannot block the next minute
        get_redis().delete(sweep_lock())  # the next minute (Redis keeps real time, not time-machine's)
        assert sweep()["messages"] == 1


def test_the_sweep_sends_our_own_message_whose_job_was_lost(client, prism):
    send_at = NOW + timedelta(minutes=5)
    with time_machine.travel(NOW, tick=False):
        message_id = post(client, "/api/messages", {"to": TO, "body": "x", "send_at": iso(send_at)}).json["id"]
    lose_every_job()
    with time_machine.travel(send_at - timedelta(seconds=1), tick=False):
        assert sweep_messages() == 0  # not due yet: the sweep leaves it alone
    with time_machine.travel(send_at + timedelta(seconds=20), tick=False):
        assert sweep_messages() == 1
        work()
    [create] = prism.creates()
    assert "SendAt" not in create.data
    assert message(message_id).twilio_sid == create.body["sid"]


def test_the_sweep_replaces_a_job_whose_hash_redis_half_lost(client, prism):
    # A job hash without its data (Redis evicted part of it) holds no work; reading it must not stop
    # the sweep for every other row (RQ's Job.fetch_many raises NoSuchJobError for the whole batch).
    send_at = NOW + timedelta(minutes=5)
    with time_machine.travel(NOW, tick=False):
        message_id = post(client, "/api/messages", {"to": TO, "body": "x", "send_at": iso(send_at)}).json["id"]
    [job_id] = scheduled_jobs()
    get_redis().hdel(Job.key_for(job_id), "data")
    with time_machine.travel(send_at + timedelta(seconds=20), tick=False):
        assert sweep_messages() == 1
        work()
    [create] = prism.creates()
    assert message(message_id).twilio_sid == create.body["sid"]


def test_the_sweep_reads_only_due_rows(client, prism):
    with time_machine.travel(NOW, tick=False):
        for days in (40, 50, 60):
            post(
                client,
                "/api/messages",
                {"to": TO, "body": f"in {days} days", "send_at": iso(NOW + timedelta(days=days))},
            )
        post(client, "/api/messages", {"to": TO, "body": "now"})  # settled: sent to Twilio, owes nothing
    lose_every_job()
    with time_machine.travel(NOW + timedelta(days=6), tick=False):  # only the 40-day one has entered the window
        assert sweep_messages() == 1
        work()
    assert [c.data["Body"] for c in prism.creates()] == ["now", "in 40 days"]


def test_two_workers_never_hand_off_the_same_message_twice(app, client, prism):
    with time_machine.travel(NOW, tick=False):
        ids = [
            post(client, "/api/messages", {"to": TO, "body": f"m{i}", "send_at": iso(NOW + timedelta(days=50))}).json[
                "id"
            ]
            for i in range(4)
        ]
    start = threading.Barrier(2)
    errors: list[BaseException] = []

    def worker() -> None:
        try:
            with app.app_context():
                start.wait()
                for message_id in ids:
                    delivery.deliver(message_id)
                db.session.remove()
        except BaseException as exc:  # surfaced below
            errors.append(exc)

    with time_machine.travel(NOW + timedelta(days=16), tick=True):
        threads = [threading.Thread(target=worker) for _ in range(2)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
    assert errors == []
    assert sorted(c.data["Body"] for c in prism.creates()) == ["m0", "m1", "m2", "m3"]
    assert {message(i).status for i in ids} == {"scheduled"}


def test_a_worker_that_died_mid_request_is_taken_over_after_its_lease(client, prism):
    with time_machine.travel(NOW, tick=False):
        message_id = post(
            client, "/api/messages", {"to": TO, "body": "x", "send_at": iso(NOW + timedelta(days=50))}
        ).json["id"]
    handoff = message(message_id).due_at
    # A worker claimed it (exactly the claim's UPDATE), then its process was killed before Twilio answered.
    lease_end = handoff + delivery.CLAIM_LEASE
    db.session.execute(
        Message.__table__.update()
        .where(Message.id == message_id)
        .values(status="sending", due_at=lease_end, claim_token="x" * 32)
    )
    db.session.commit()
    lose_every_job()
    with time_machine.travel(lease_end - timedelta(seconds=5), tick=False):
        assert sweep_messages() == 0
        delivery.deliver(message_id)
    assert prism.creates() == []  # the lease still holds: nobody else may send it
    with time_machine.travel(lease_end, tick=False):
        assert sweep_messages() == 1
        work()
    assert len(prism.creates()) == 1 and message(message_id).status == "scheduled"


def test_twilio_4xx_fails_the_message_with_code_message_and_more_info(client, prism):
    prism.unsubscribed.add(TO)
    with time_machine.travel(NOW, tick=False):
        answer = post(client, "/api/messages", {"to": TO, "body": "x", "send_at": iso(NOW + timedelta(hours=1))})
    assert answer.status_code == 201
    assert answer.json["status"] == "failed" and answer.json["twilio_sid"] is None
    assert answer.json["error"] == {
        "code": "21610",
        "message": "Attempt to send to unsubscribed recipient",
        "more_info": "https://www.twilio.com/docs/errors/21610",
        "reason": "recipient unsubscribed (replied STOP)",
    }
    [create] = prism.creates()
    assert create.accepted_by_prism and create.status == 400  # the request itself was valid
    assert message(answer.json["id"]).due_at is None  # never retried


def test_a_request_the_spec_forbids_is_refused_by_prism_and_fails(make_app, prism):
    app = make_app(TWILIO_HTTP_CLIENT=prism, PUBLIC_BASE_URL=PUBLIC, TWILIO_MESSAGING_SERVICE_SID="MG-not-a-sid")
    with app.app_context(), time_machine.travel(NOW, tick=False):
        answer = post(
            app.test_client(), "/api/messages", {"to": TO, "body": "x", "send_at": iso(NOW + timedelta(hours=1))}
        )
    [create] = prism.creates()
    assert create.prism_status == 422
    assert any(v["location"] == ["body", "MessagingServiceSid"] for v in create.body["validation"])
    assert answer.json["status"] == "failed" and answer.json["error"]["code"] == "422"


def test_twilio_5xx_retries_with_backoff_then_succeeds(client, prism):
    prism.fail_next(times=2)
    with time_machine.travel(NOW, tick=False):
        answer = post(client, "/api/messages", {"to": TO, "body": "x"})
    assert answer.json["status"] == "queued" and answer.json["twilio_sid"] is None
    assert answer.json["events"][-1]["kind"] == "retry"
    assert "503" in answer.json["events"][-1]["detail"]
    message_id = answer.json["id"]
    assert message(message_id).due_at == NOW + timedelta(seconds=5)
    with time_machine.travel(NOW + timedelta(seconds=4), tick=False):
        work()
    assert len(prism.creates()) == 1  # the backoff holds
    with time_machine.travel(NOW + timedelta(seconds=5), tick=False):
        work()  # second attempt: 503 again, next in 15 s
    assert message(message_id).due_at == NOW + timedelta(seconds=20)
    with time_machine.travel(NOW + timedelta(seconds=20), tick=False):
        work()
    row = message(message_id)
    assert len(prism.creates()) == 3 and row.twilio_sid == prism.creates()[-1].body["sid"]
    assert row.error_code is None


def test_twilio_429_is_retried_with_backoff_not_failed(client, prism):
    # Twilio error 20429: a request answered 429 was never processed and is safe to retry after backing off.
    prism.fail_next(times=1, status=429, code=20429, message="Too Many Requests")
    with time_machine.travel(NOW, tick=False):
        answer = post(client, "/api/messages", {"to": TO, "body": "x"})
    assert answer.json["status"] == "queued" and answer.json["twilio_sid"] is None
    assert answer.json["events"][-1]["kind"] == "retry"
    assert "HTTP 429 code 20429" in answer.json["events"][-1]["detail"]
    message_id = answer.json["id"]
    assert message(message_id).due_at == NOW + timedelta(seconds=5)
    with time_machine.travel(NOW + timedelta(seconds=5), tick=False):
        work()
    row = message(message_id)
    assert len(prism.creates()) == 2 and row.twilio_sid == prism.creates()[-1].body["sid"]
    assert row.error_code is None


def test_twilio_5xx_gives_up_after_max_attempts_with_the_reason(client, prism):
    prism.fail_next(times=delivery.MAX_ATTEMPTS)
    when = NOW
    with time_machine.travel(when, tick=False):
        message_id = post(client, "/api/messages", {"to": TO, "body": "x"}).json["id"]
    for _ in range(delivery.MAX_ATTEMPTS - 1):
        when = message(message_id).due_at
        with time_machine.travel(when, tick=False):
            work()
    row = message(message_id)
    assert len(prism.creates()) == delivery.MAX_ATTEMPTS
    assert row.status == "failed" and row.due_at is None and row.error_code == "20503"
    assert row.error_message == f"gave up after {delivery.MAX_ATTEMPTS} attempts: Service Unavailable"
    with time_machine.travel(when + timedelta(hours=1), tick=False):
        assert sweep_messages() == 0


def test_no_answer_from_twilio_retries_then_fails_with_the_reason(make_app):
    dead = PrismTwilio(f"http://127.0.0.1:{free_port()}")  # nothing listens there: connection refused
    app = make_app(TWILIO_HTTP_CLIENT=dead, PUBLIC_BASE_URL=PUBLIC, TWILIO_MESSAGING_SERVICE_SID=SERVICE)
    with app.app_context():
        with time_machine.travel(NOW, tick=False):
            answer = post(app.test_client(), "/api/messages", {"to": TO, "body": "x"})
        assert answer.json["status"] == "queued" and "no answer from Twilio" in answer.json["events"][-1]["detail"]
        message_id = answer.json["id"]
        for _ in range(delivery.MAX_ATTEMPTS - 1):
            with time_machine.travel(message(message_id).due_at, tick=False):
                work()
        row = message(message_id)
        assert row.status == "failed" and row.error_code is None
        assert row.error_message.startswith(f"gave up after {delivery.MAX_ATTEMPTS} attempts: no answer from Twilio")


def test_throttle_allows_n_per_second_per_service(make_app):
    app = make_app(SMS_MAX_PER_SECOND=2)
    with app.app_context(), time_machine.travel(NOW, tick=False) as clock:
        assert throttle.acquire("MGa", wait=0) and throttle.acquire("MGa", wait=0)
        assert not throttle.acquire("MGa", wait=0)
        assert throttle.acquire("MGb", wait=0)  # another messaging service has its own budget
        clock.shift(timedelta(seconds=1.01))
        assert throttle.acquire("MGa", wait=0)


def test_a_burst_beyond_the_throttle_is_queued_not_sent_inline(make_app, prism):
    app = make_app(
        TWILIO_HTTP_CLIENT=prism, PUBLIC_BASE_URL=PUBLIC, TWILIO_MESSAGING_SERVICE_SID=SERVICE, SMS_MAX_PER_SECOND=2
    )
    with app.app_context(), time_machine.travel(NOW, tick=False):
        client = app.test_client()
        answers = [post(client, "/api/messages", {"to": TO, "body": f"m{i}"}).json for i in range(3)]
        assert [a["twilio_sid"] is not None for a in answers] == [True, True, False]
        assert len(prism.creates()) == 2
        assert list(scheduled_jobs().values()) == [NOW + timedelta(seconds=1)]  # the third waits a second
    with app.app_context(), time_machine.travel(NOW + timedelta(seconds=1), tick=False):
        work()
        assert [c.data["Body"] for c in prism.creates()] == ["m0", "m1", "m2"]


def test_a_worker_whose_lease_ran_out_cancels_its_scheduled_duplicate(client, prism):
    with time_machine.travel(NOW, tick=False):
        body = {"to": TO, "body": "x", "send_at": iso(NOW + timedelta(days=50))}
        message_id = post(client, "/api/messages", body).json["id"]
    handoff = message(message_id).due_at
    with time_machine.travel(handoff, tick=False):
        stalled = delivery._claim(message(message_id), handoff, status="sending")  # worker A, then it stalls
    lease_end = handoff + delivery.CLAIM_LEASE
    with time_machine.travel(lease_end, tick=False):
        assert sweep_messages() == 1
        work()  # worker B takes the row over and hands it off
    with time_machine.travel(lease_end + timedelta(seconds=1), tick=False):
        late = delivery._create_at_twilio(message(message_id), scheduled=True)  # A's request lands at last
        assert delivery._settle(message(message_id), stalled, late.sid, late.status, True, lease_end).run_again is None
    first, duplicate = prism.creates()
    assert message(message_id).twilio_sid == first.body["sid"] != late.sid
    [cancel] = prism.cancels()
    assert cancel.path.endswith(f"/Messages/{late.sid}.json") and prism.statuses[late.sid] == "canceled"
