"""Recording and transcription callbacks: stored once, in any order, however often Twilio sends them."""

from __future__ import annotations

import threading

from sqlalchemy import func, select

from tests.support import Twilio, twiml
from tests.support.builders import CALLER, TWILIO_NUMBER, call_params, make_mailbox
from voicebox.extensions import db
from voicebox.models import Call, NotifyState, Voicemail

RECORDING_SID = "RE" + "a" * 32
RECORDING_URL = "https://api.twilio.com/2010-04-01/Accounts/AC00/Recordings/" + RECORDING_SID


def status_params(status="completed", duration="42", **extra):
    return {
        "AccountSid": "AC" + "0" * 32,
        "CallSid": "CA" + "1" * 32,
        "RecordingSid": RECORDING_SID,
        "RecordingUrl": RECORDING_URL,
        "RecordingStatus": status,
        "RecordingDuration": duration,
        "RecordingChannels": "1",
        "RecordingSource": "RecordVerb",
        **extra,
    }


def transcription_params(status="completed", text="Hi, please call me back about the invoice."):
    return {
        "AccountSid": "AC" + "0" * 32,
        "CallSid": "CA" + "1" * 32,
        "RecordingSid": RECORDING_SID,
        "RecordingUrl": RECORDING_URL,
        "TranscriptionSid": "TR" + "b" * 32,
        "TranscriptionText": text,
        "TranscriptionStatus": status,
        "TranscriptionType": "fast",
        "url": "https://example.com/voice/transcription",
    }


def only_voicemail() -> Voicemail:
    db.session.expire_all()
    rows = db.session.scalars(select(Voicemail)).all()
    assert len(rows) == 1
    return rows[0]


def test_recording_status_creates_the_voicemail_from_its_call(app, twilio):
    mailbox = make_mailbox()
    twilio.post("/voice/incoming", call_params())
    response = twilio.post("/voice/recording-status", status_params())
    assert response.status_code == 200
    twiml(response)
    vm = only_voicemail()
    assert (vm.recording_sid, vm.call_sid, vm.mailbox_id) == (RECORDING_SID, "CA" + "1" * 32, mailbox.id)
    assert (vm.from_number, vm.to_number) == (CALLER, TWILIO_NUMBER)
    assert (vm.recording_url, vm.duration, vm.recording_status) == (RECORDING_URL, 42, "completed")
    assert vm.notify_state == NotifyState.PENDING


def test_transcription_first_then_recording(app, twilio):
    make_mailbox()
    twilio.post("/voice/incoming", call_params())
    assert twilio.post("/voice/transcription", transcription_params()).status_code == 200
    vm = only_voicemail()
    assert (vm.transcript, vm.transcription_status, vm.recording_status) == (
        "Hi, please call me back about the invoice.",
        "completed",
        None,
    )
    assert vm.notify_state == NotifyState.NONE
    twilio.post("/voice/recording-status", status_params())
    vm = only_voicemail()
    assert (vm.transcript, vm.recording_status, vm.duration) == (
        "Hi, please call me back about the invoice.",
        "completed",
        42,
    )
    assert vm.notify_state == NotifyState.PENDING


def test_failed_transcription_is_stored_without_text(app, twilio):
    make_mailbox()
    twilio.post("/voice/recording-status", status_params())
    twilio.post("/voice/transcription", transcription_params(status="failed", text=""))
    vm = only_voicemail()
    assert (vm.transcript, vm.transcription_status) == (None, "failed")


def test_duplicates_in_any_order_give_one_row(app, twilio):
    make_mailbox()
    for _ in range(5):
        twilio.post("/voice/incoming", call_params())
    posts = [
        ("/voice/transcription", transcription_params()),
        ("/voice/recording-status", status_params()),
    ] * 5
    for path, params in reversed(posts):
        assert twilio.post(path, params).status_code == 200
    assert db.session.scalar(select(func.count()).select_from(Call)) == 1
    vm = only_voicemail()
    assert vm.transcript and vm.recording_status == "completed"
    assert vm.notify_state == NotifyState.PENDING


def test_concurrent_duplicates_give_one_row_and_no_error(app):
    make_mailbox()
    statuses: list[int] = []
    barrier = threading.Barrier(6)

    def post(path, params):
        client = Twilio(app.test_client())
        barrier.wait()
        statuses.append(client.post(path, params).status_code)

    threads = [threading.Thread(target=post, args=("/voice/recording-status", status_params())) for _ in range(3)]
    threads += [threading.Thread(target=post, args=("/voice/transcription", transcription_params())) for _ in range(3)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert statuses == [200] * 6
    vm = only_voicemail()
    assert vm.transcript and vm.recording_status == "completed"


def test_concurrent_incoming_duplicates_give_one_call(app):
    make_mailbox()
    statuses: list[int] = []
    barrier = threading.Barrier(5)

    def post():
        client = Twilio(app.test_client())
        barrier.wait()
        statuses.append(client.post("/voice/incoming", call_params()).status_code)

    threads = [threading.Thread(target=post) for _ in range(5)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert statuses == [200] * 5
    assert db.session.scalar(select(func.count()).select_from(Call)) == 1


def test_absent_recording_is_kept_but_never_notified(app, twilio):
    make_mailbox()
    twilio.post("/voice/incoming", call_params())
    twilio.post("/voice/recording-status", status_params(status="absent", duration="0", ErrorCode="16101"))
    vm = only_voicemail()
    assert (vm.recording_status, vm.recording_error_code) == ("absent", "16101")
    assert vm.notify_state == NotifyState.SKIPPED


def test_too_short_recording_is_not_notified(app, twilio):
    make_mailbox()
    twilio.post("/voice/recording-status", status_params(duration="1"))
    assert only_voicemail().notify_state == NotifyState.SKIPPED


def test_a_late_absent_does_not_undo_a_completed_recording(app, twilio):
    make_mailbox()
    twilio.post("/voice/recording-status", status_params())
    twilio.post("/voice/recording-status", status_params(status="absent", duration="0", ErrorCode="16101"))
    twilio.post(
        "/voice/recording", call_params(RecordingSid=RECORDING_SID, RecordingUrl="https://x", RecordingDuration="3")
    )
    vm = only_voicemail()
    assert (vm.recording_status, vm.duration, vm.recording_url, vm.recording_error_code) == (
        "completed",
        42,
        RECORDING_URL,
        None,
    )
    assert vm.notify_state == NotifyState.PENDING


def test_record_action_and_status_callback_share_one_row(app, twilio):
    make_mailbox()
    action = call_params(RecordingSid=RECORDING_SID, RecordingUrl=RECORDING_URL, RecordingDuration="42", Digits="#")
    twilio.post("/voice/recording", action)
    assert only_voicemail().notify_state == NotifyState.NONE
    twilio.post("/voice/recording-status", status_params())
    assert only_voicemail().notify_state == NotifyState.PENDING
