"""Callbacks that come while the database restarts are parked in Redis, answered 200, and replayed
by the sweep once it is back: a short outage of the database loses nothing."""

from __future__ import annotations

from sqlalchemy import select

from tests.faults.test_missed_call_row import RECORDING_SID, record_urls, status_params
from tests.notifications.steps import PUBLIC, voicemail
from tests.support import Twilio, twiml, work
from tests.support.builders import call_params
from voicebox.extensions import db
from voicebox.jobs import sweep, sweep_lock
from voicebox.models import Call, NotifyState
from voicebox.parked import parked_key, replay_parked
from voicebox.queueing import get_redis


def transcription_params() -> dict:
    return {
        "AccountSid": "AC" + "0" * 32,
        "CallSid": "CA" + "1" * 32,
        "RecordingSid": RECORDING_SID,
        "TranscriptionSid": "TR" + "c" * 32,
        "TranscriptionStatus": "completed",
        "TranscriptionText": "Parked while the database restarted.",
        "TranscriptionType": "fast",
    }


def test_callbacks_during_a_database_outage_are_replayed_by_the_sweep(
    app, db_down, mailbox, twilio, standin, smtp_server
):
    down = Twilio(db_down.test_client(), public_base=PUBLIC)
    with db_down.app_context():
        incoming = down.post("/voice/incoming", call_params())
        urls = record_urls(incoming)
        status_path = urls["recordingStatusCallback"].removeprefix(PUBLIC).partition("#")[0]
        transcription_path = urls["transcribeCallback"].removeprefix(PUBLIC).partition("#")[0]
        status = down.post(status_path, status_params(standin))
        transcript = down.post(transcription_path, transcription_params())
        assert replay_parked() == 0  # still down: each stays parked
    assert incoming.status_code == 200 and [c.tag for c in twiml(incoming)][:3] == ["Say", "Say", "Record"]
    assert (status.status_code, transcript.status_code) == (200, 200)  # kept: nothing for Twilio to retry
    assert get_redis().llen(parked_key()) == 3

    get_redis().delete(sweep_lock())
    assert sweep()["parked_webhooks"] == 3  # the database is back
    assert get_redis().llen(parked_key()) == 0
    call = db.session.scalar(select(Call).where(Call.call_sid == "CA" + "1" * 32))
    assert call is not None and call.mailbox_id == mailbox.id  # /voice/incoming, replayed
    work()
    [message] = smtp_server.messages
    assert "Parked while the database restarted." in message.get_body(("plain",)).get_content()
    assert voicemail(RECORDING_SID).notify_state == NotifyState.SENT


def test_with_redis_down_too_a_callback_answers_500_for_twilio_to_retry(app, db_down, standin):
    db_down.config["REDIS_URL"] = "redis://127.0.0.1:1"
    with db_down.app_context():
        response = Twilio(db_down.test_client(), public_base=PUBLIC).post(
            "/voice/recording-status", status_params(standin)
        )
    assert response.status_code == 500
    assert twiml(response) is not None


def test_a_forged_parked_webhook_is_dropped(app, mailbox):
    with app.test_request_context():
        get_redis().rpush(
            parked_key(),
            '{"path": "/voice/recording-status", "query": "", "form": [["RecordingSid", "RE1"]],'
            ' "signature": "forged", "root": "http://localhost/"}',
        )
    assert replay_parked() == 1
    assert get_redis().llen(parked_key()) == 0
