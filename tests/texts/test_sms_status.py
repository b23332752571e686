"""/sms/status: every callback kept, statuses only move forward, 21610 opts the number out."""

from __future__ import annotations

import json
import threading
from datetime import timedelta

import pytest
import time_machine
from sqlalchemy import func, select

from tests.support import Twilio, api_headers, work
from tests.texts.steps import (
    NOW,
    PUBLIC,
    TO,
    iso,
    message,
    post,
)
from voicebox.extensions import db
from voicebox.models import MessageEvent
from voicebox.services import optouts


def sent_message(client) -> dict:
    """A text sent at once through Prism: status queued, with its SM... SID."""
    with time_machine.travel(NOW, tick=False):
        answer = post(client, "/api/messages", {"to": TO, "body": "Your appointment is tomorrow at 9."})
    assert answer.status_code == 201, answer.json
    return answer.json


def callback(twilio, sid: str, status: str, **extra):
    params = {
        "MessageSid": sid,
        "SmsSid": sid,
        "MessageStatus": status,
        "SmsStatus": status,
        "AccountSid": "AC" + "0" * 32,
        "From": "+14155550100",
        "To": TO,
        "ApiVersion": "2010-04-01",
        **extra,
    }
    response = twilio.post("/sms/status", params)
    assert response.status_code == 200
    return response


def test_statuses_advance_in_order(client, twilio):
    sent = sent_message(client)
    assert sent["status"] == "queued" and sent["twilio_sid"].startswith("SM")
    for status in ("sending", "sent", "delivered"):
        callback(twilio, sent["twilio_sid"], status)
        assert message(sent["id"]).status == status


@pytest.mark.parametrize(
    ("order", "final"),
    [
        (["delivered", "sent", "sending", "queued"], "delivered"),
        (["sent", "undelivered", "sent"], "undelivered"),
        (["failed", "delivered"], "failed"),
        (["sending", "queued", "sent", "sending"], "sent"),
        (["delivered", "delivered", "delivered"], "delivered"),
    ],
)
def test_out_of_order_and_duplicates_never_regress(client, twilio, order, final):
    sent = sent_message(client)
    for status in order:
        callback(twilio, sent["twilio_sid"], status)
    assert message(sent["id"]).status == final
    events = db.session.scalar(
        select(func.count()).select_from(MessageEvent).where(MessageEvent.kind == "status_callback")
    )
    assert events == len(order)  # every callback is kept as an event


def test_every_callback_is_stored_with_its_raw_parameters(client, twilio):
    sent = sent_message(client)
    callback(twilio, sent["twilio_sid"], "undelivered", ErrorCode="30003", Surprise="ignored but kept")
    event = db.session.scalar(select(MessageEvent).where(MessageEvent.kind == "status_callback"))
    assert (event.status, event.error_code, event.message_id) == ("undelivered", "30003", sent["id"])
    assert event.params["Surprise"] == "ignored but kept"
    assert event.created_at is not None
    shown = client.get(f"/api/messages/{sent['id']}", headers=api_headers()).json
    assert shown["status"] == "undelivered"
    assert shown["error"]["code"] == "30003"
    assert shown["error"]["reason"] == "unreachable handset (phone off or out of coverage)"
    assert shown["events"][-1]["kind"] == "status_callback"


@pytest.mark.parametrize(
    ("code", "reason"),
    [
        ("30004", "message blocked (by the recipient or their carrier)"),
        ("30005", "unknown handset (the number does not exist)"),
        ("30006", "landline or unreachable carrier"),
        ("30007", "filtered by the carrier (spam filtering, not an opt-out)"),
        ("30008", "unknown error from the carrier"),
    ],
)
def test_delivery_errors_have_readable_reasons(client, twilio, code, reason):
    sent = sent_message(client)
    callback(twilio, sent["twilio_sid"], "undelivered", ErrorCode=code)
    shown = client.get(f"/api/messages/{sent['id']}", headers=api_headers()).json
    assert shown["error"]["reason"] == reason
    assert not optouts.is_opted_out(TO)  # 30007 and friends are not opt-outs


def test_21610_failure_opts_the_number_out(client, twilio):
    sent = sent_message(client)
    callback(twilio, sent["twilio_sid"], "failed", ErrorCode="21610")
    assert optouts.is_opted_out(TO)
    assert [e.source for e in optouts.history(TO)] == ["21610"]
    with time_machine.travel(NOW, tick=False):
        refused = post(client, "/api/messages", {"to": TO, "body": "again?"})
    assert refused.status_code == 409
    assert refused.json["error"]["code"] == "recipient_opted_out"


def test_long_real_statuses_are_kept(client, twilio):
    sent = sent_message(client)
    callback(twilio, sent["twilio_sid"], "partially_delivered")  # an RCS/WhatsApp status, 19 characters
    assert db.session.scalar(select(MessageEvent.status).where(MessageEvent.kind == "status_callback")) == (
        "partially_delivered"
    )
    assert twilio.post("/sms/status", {"MessageSid": sent["twilio_sid"], "MessageStatus": "x" * 40}).status_code == 400


def test_unknown_message_sid_is_kept_and_answered(app, twilio):
    callback(twilio, "SM" + "f" * 32, "delivered")
    event = db.session.scalar(select(MessageEvent))
    assert (event.message_id, event.twilio_sid, event.status) == (None, "SM" + "f" * 32, "delivered")


def test_concurrent_duplicates_are_harmless(app, client):
    sent = sent_message(client)
    barrier = threading.Barrier(6)
    codes = []

    def post_one(status):
        signer = Twilio(app.test_client(), public_base=PUBLIC)
        barrier.wait()
        codes.append(callback(signer, sent["twilio_sid"], status).status_code)

    threads = [threading.Thread(target=post_one, args=(s,)) for s in ["sent", "delivered"] * 3]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert codes == [200] * 6
    assert message(sent["id"]).status == "delivered"


@pytest.mark.parametrize(
    "params",
    [
        {"MessageStatus": "delivered"},  # no MessageSid
        {"MessageSid": "SM1"},  # no status
        {},
    ],
)
def test_missing_parameters_are_400_not_500(app, twilio, params):
    response = twilio.post("/sms/status", params)
    assert response.status_code == 400
    assert response.mimetype == "text/xml"


def test_forged_signature_is_403(app, client):
    forged = Twilio(client, public_base=PUBLIC, token="wrong")
    assert forged.post("/sms/status", {"MessageSid": "SM1", "MessageStatus": "sent"}).status_code == 403


def test_twilio_21610_at_send_time_opts_out_and_cancels_the_rest(client, prism):
    # Two texts scheduled at Twilio; a third send is refused with 21610 (the person had texted STOP
    # to another number of ours): the number is opted out and the scheduled ones are canceled there.
    with time_machine.travel(NOW, tick=False):
        later = [
            post(
                client, "/api/messages", {"to": TO, "body": f"reminder {n}", "send_at": iso(NOW + timedelta(days=n))}
            ).json
            for n in (1, 2)
        ]
        assert [m["status"] for m in later] == ["scheduled", "scheduled"]
        prism.unsubscribed.add(TO)
        refused = post(client, "/api/messages", {"to": TO, "body": "now"}).json
        assert refused["status"] == "failed" and refused["error"]["code"] == "21610"
        assert optouts.is_opted_out(TO)
        work()
    assert [message(m["id"]).status for m in later] == ["canceled", "canceled"]
    assert sorted(c.path.rsplit("/", 1)[-1] for c in prism.cancels()) == sorted(
        f"{m['twilio_sid']}.json" for m in later
    )


def test_a_callback_that_beats_our_commit_of_the_sid_is_adopted(app, client, prism):
    # Twilio may call /sms/status before the worker that created the message has stored its SID.
    twilio_host = Twilio(app.test_client(), public_base=PUBLIC)
    original = prism._created

    def created_then_called_back(data, body):
        answer = original(data, body)
        sid = json.loads(answer.text)["sid"]
        callback(twilio_host, sid, "delivered")  # arrives while our worker still waits for this answer
        return answer

    prism._created = created_then_called_back
    with time_machine.travel(NOW, tick=False):
        queued = post(client, "/api/messages", {"to": TO, "body": "x", "send_at": iso(NOW + timedelta(minutes=5))})
    with time_machine.travel(NOW + timedelta(minutes=5), tick=False):
        work()
    row = message(queued.json["id"])
    assert row.status == "delivered"
    event = db.session.scalar(select(MessageEvent).where(MessageEvent.kind == "status_callback"))
    assert event.message_id == row.id


def test_an_owed_cancel_stops_once_twilio_has_moved_the_message_on(client, twilio, prism):
    from voicebox.models import utcnow
    from voicebox.services import delivery
    from voicebox.services.messages import due_messages

    with time_machine.travel(NOW, tick=False):
        scheduled = post(
            client, "/api/messages", {"to": TO, "body": "x", "send_at": iso(NOW + timedelta(hours=1))}
        ).json
        prism.fail_next(times=1)  # the cancel cannot reach Twilio: it is owed and retried
        owed = client.post(f"/api/messages/{scheduled['id']}/cancel", headers=api_headers()).json
        assert owed["cancel_requested"] is True and owed["status"] == "scheduled"
    callback(twilio, scheduled["twilio_sid"], "queued")  # meanwhile its time came: Twilio is sending it
    with time_machine.travel(NOW + timedelta(minutes=10), tick=False):
        assert [mid for mid, _ in due_messages(utcnow(), 10)] == [scheduled["id"]]  # the owed cancel is due
        delivery.deliver(scheduled["id"])
        row = message(scheduled["id"])
        assert (row.status, row.due_at) == ("queued", None)
        assert due_messages(utcnow(), 10) == []  # nothing left owed: the sweep will not pick it up again
    assert row.events[-1].kind == "cancel_refused"
