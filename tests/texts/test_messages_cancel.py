"""POST /api/messages/<id>/cancel in every state a message can be in."""

from __future__ import annotations

from datetime import timedelta

import pytest
import time_machine

from tests.support import work
from tests.texts.steps import (
    NOW,
    TO,
    iso,
    message,
    post,
)
from voicebox.extensions import db
from voicebox.jobs.messages import sweep_messages
from voicebox.models import Message
from voicebox.services import delivery


def create(client, **body) -> dict:
    with time_machine.travel(NOW, tick=False):
        answer = post(client, "/api/messages", {"to": TO, "body": "hello", **body})
    assert answer.status_code == 201, answer.json
    return answer.json


def cancel(client, message_id: int, when=NOW):
    with time_machine.travel(when, tick=False):
        return post(client, f"/api/messages/{message_id}/cancel", {})


def test_cancel_pending_beyond_the_window_is_local_and_nothing_is_ever_sent(client, prism):
    send_at = NOW + timedelta(days=50)
    out = create(client, send_at=iso(send_at))
    answer = cancel(client, out["id"])
    assert answer.status_code == 200 and answer.json["status"] == "canceled"
    assert answer.json["events"][-1]["kind"] == "canceled"
    with time_machine.travel(send_at, tick=False):
        work()  # the hand-off job still fires: it finds the row canceled and does nothing
        assert sweep_messages() == 0
    assert prism.exchanges == []


def test_cancel_queued_for_our_own_send_is_local(client, prism):
    send_at = NOW + timedelta(minutes=5)
    out = create(client, send_at=iso(send_at))
    assert out["status"] == "queued"
    assert cancel(client, out["id"]).json["status"] == "canceled"
    with time_machine.travel(send_at, tick=False):
        work()
    assert prism.exchanges == []


def test_cancel_scheduled_cancels_at_twilio(client, prism):
    out = create(client, send_at=iso(NOW + timedelta(hours=3)))
    answer = cancel(client, out["id"])
    assert answer.status_code == 200 and answer.json["status"] == "canceled"
    [request] = prism.cancels()
    assert request.accepted_by_prism and request.data == {"Status": "canceled"}
    assert request.path.endswith(f"/Messages/{out['twilio_sid']}.json")
    assert [e["kind"] for e in answer.json["events"]][-2:] == ["cancel_requested", "canceled"]


@pytest.mark.parametrize("final", ["sent", "delivered", "failed", "undelivered", "canceled"])
def test_cancel_a_final_message_is_409(client, prism, final):
    out = create(client, send_at=iso(NOW + timedelta(hours=3)))
    db.session.execute(Message.__table__.update().where(Message.id == out["id"]).values(status=final))
    db.session.commit()
    answer = cancel(client, out["id"])
    assert answer.status_code == 409
    assert answer.json["error"]["code"] == "not_cancelable"
    assert f"already {final}" in answer.json["error"]["message"]
    assert prism.cancels() == []


def test_cancel_twice_is_409_the_second_time(client, prism):
    out = create(client, send_at=iso(NOW + timedelta(hours=3)))
    assert cancel(client, out["id"]).status_code == 200
    second = cancel(client, out["id"])
    assert second.status_code == 409 and "already canceled" in second.json["error"]["message"]
    assert len(prism.cancels()) == 1


def test_twilio_30409_is_the_same_409_and_we_learn_the_final_status(client, prism):
    out = create(client, send_at=iso(NOW + timedelta(hours=3)))
    prism.statuses[out["twilio_sid"]] = "sent"  # Twilio sent it already; our callback has not arrived
    answer = cancel(client, out["id"])
    assert answer.status_code == 409
    assert answer.json["error"]["code"] == "not_cancelable"
    assert "30409" in answer.json["error"]["message"] and "cannot be canceled" in answer.json["error"]["message"]
    [request] = prism.cancels()
    assert request.accepted_by_prism and request.status == 400 and request.body["code"] == 30409
    row = message(out["id"])
    assert row.status == "sent" and row.due_at is None


def test_cancel_a_message_sent_for_immediate_delivery_is_409_without_asking_twilio(client, prism):
    out = create(client)
    assert out["status"] == "queued" and out["twilio_sid"]
    answer = cancel(client, out["id"])
    assert answer.status_code == 409 and "only scheduled messages" in answer.json["error"]["message"]
    assert prism.cancels() == []


def test_cancel_while_twilio_is_down_is_owed_and_retried(client, prism):
    out = create(client, send_at=iso(NOW + timedelta(hours=3)))
    prism.fail_next(times=1)
    answer = cancel(client, out["id"])
    assert answer.status_code == 200
    assert answer.json["status"] == "scheduled" and answer.json["cancel_requested"] is True
    with time_machine.travel(NOW + timedelta(seconds=5), tick=False):
        work()
    assert message(out["id"]).status == "canceled"
    assert [c.status for c in prism.cancels()] == [503, 200]


def test_cancel_rejected_by_twilio_otherwise_is_502(client, prism):
    out = create(client, send_at=iso(NOW + timedelta(hours=3)))
    del prism.statuses[out["twilio_sid"]]  # Twilio no longer knows the SID: 20404
    answer = cancel(client, out["id"])
    assert answer.status_code == 502 and answer.json["error"]["code"] == "twilio_error"
    assert "20404" in answer.json["error"]["message"]
    row = message(out["id"])
    assert row.status == "scheduled" and row.due_at is None


def test_cancel_while_a_worker_hands_it_off_is_honoured_by_that_worker(client, prism):
    send_at = NOW + timedelta(days=50)
    out = create(client, send_at=iso(send_at))
    handoff = message(out["id"]).due_at
    with time_machine.travel(handoff, tick=False):
        # The worker's claim, exactly as delivery takes it; the cancel arrives while it talks to Twilio.
        token = delivery._claim(message(out["id"]), handoff, status="sending")
        assert token
        answer = cancel(client, out["id"], when=handoff)
        assert answer.status_code == 200 and answer.json["cancel_requested"] is True
        created = delivery._create_at_twilio(message(out["id"]), scheduled=True)
        run_again = delivery._settle(message(out["id"]), token, created.sid, created.status, True, handoff).run_again
        assert run_again == handoff  # the worker owes the cancel now
        assert delivery.deliver(out["id"]).run_again is None
    assert message(out["id"]).status == "canceled"
    assert len(prism.creates()) == 1 and len(prism.cancels()) == 1


def test_cancel_a_message_whose_worker_died_mid_hand_off(client, prism):
    out = create(client, send_at=iso(NOW + timedelta(days=50)))
    handoff = message(out["id"]).due_at
    with time_machine.travel(handoff, tick=False):
        assert delivery._claim(message(out["id"]), handoff, status="sending")
        assert cancel(client, out["id"], when=handoff).status_code == 200
    with time_machine.travel(handoff + delivery.CLAIM_LEASE, tick=False):
        assert sweep_messages() == 1
        work()
    assert message(out["id"]).status == "canceled" and prism.exchanges == []


def test_cancel_unknown_message_is_404(client):
    assert cancel(client, 10**9).status_code == 404
