"""Item 4: ask Twilio to transcribe only what it can (English, more than 2 and less than 120 s)."""

from __future__ import annotations

from urllib.parse import urlsplit

from tests.notifications.steps import incoming, recording_status, voicemail
from tests.support import twiml, work
from tests.support.builders import OWNER_CELL, call_params, make_mailbox
from voicebox.models import NotifyState
from voicebox.queueing import get_queue


def record_verb(twilio):
    """The <Record> a caller reaches when nobody answers."""
    root = twiml(twilio.post("/voice/dial-complete?attempt=0", call_params(DialCallStatus="no-answer")))
    return root.find("Record")


def test_english_mailbox_caps_max_length_below_the_transcription_limit(app, twilio):
    app.config["VOICEMAIL_MAX_SECONDS"] = 300
    make_mailbox(forward_to=[OWNER_CELL], language="en-GB", voice="Polly.Amy-Neural")
    record = record_verb(twilio)
    assert record.get("transcribe") == "true"
    assert urlsplit(record.get("transcribeCallback", "")).path == "/voice/transcription"
    assert int(record.get("maxLength")) < 120  # Twilio transcribes recordings shorter than 120 s only


def test_chinese_mailbox_is_not_transcribed_by_twilio(app, twilio):
    app.config["VOICEMAIL_MAX_SECONDS"] = 300
    make_mailbox(forward_to=[OWNER_CELL], language="zh-CN", voice="Polly.Zhiyu-Neural")
    record = record_verb(twilio)
    assert "transcribe" not in record.attrib
    assert "transcribeCallback" not in record.attrib
    assert record.get("maxLength") == "300"  # no transcription limit to respect


def test_chinese_voicemail_email_does_not_wait_for_a_transcript(app, twilio, standin, smtp_server):
    # The mailbox asks for Twilio's engine, which only transcribes English (`auto` would pick real-time).
    make_mailbox(forward_to=[OWNER_CELL], language="zh-CN", voice="Polly.Zhiyu-Neural", transcription="twilio")
    incoming(twilio)
    recording_status(twilio, standin, duration=42)
    work()
    [message] = smtp_server.messages  # sent at once: no transcription callback will ever come
    assert voicemail().notify_state == NotifyState.SENT
    assert get_queue().scheduled_job_registry.get_job_ids() == []


def test_recording_too_long_to_transcribe_is_emailed_at_once(app, twilio, standin, smtp_server):
    make_mailbox(forward_to=[OWNER_CELL])
    incoming(twilio)
    recording_status(twilio, standin, duration=150)  # Twilio answers 13617 instead of a transcript
    work()
    assert len(smtp_server.messages) == 1
    assert get_queue().scheduled_job_registry.get_job_ids() == []
