"""The twilio-realtime engine: <Start><Transcription> in the mailbox's language, content events
signed as Twilio signs them (repeated and out of order), the transcript assembled from the final
utterances in sequence order when transcription stops or after the grace period; one email."""

from __future__ import annotations

import json

import pytest

from tests.notifications.steps import CALL_SID, PUBLIC, incoming, notify_settings, recording_status, voicemail
from tests.support import ACCOUNT_SID, twiml, work, work_until
from tests.support.builders import make_mailbox

TRANSCRIPTION_SID = "GT" + "d" * 32
UTTERANCES = {1: "你好，我是小王。", 2: "明天下午三点", 3: "请给我回电话。"}


@pytest.fixture
def settings(smtp_server, standin) -> dict:
    return notify_settings(smtp_server, standin, TRANSCRIPTION_REALTIME_GRACE=1)


@pytest.fixture
def mailbox(app):
    return make_mailbox(language="zh-CN", timezone="Asia/Shanghai", forward_to=[])


def event(twilio, name: str, **extra):
    params = {
        "AccountSid": ACCOUNT_SID,
        "CallSid": CALL_SID,
        "TranscriptionSid": TRANSCRIPTION_SID,
        "Timestamp": "2026-03-03T22:05:10.000000Z",
        "TranscriptionEvent": name,
        **extra,
    }
    return twilio.post("/voice/live-transcription", params)


def content(twilio, sequence: int, text: str, final: bool = True):
    data = json.dumps({"transcript": text, "confidence": 0.91}, ensure_ascii=False)
    response = event(
        twilio,
        "transcription-content",
        LanguageCode="zh-CN",
        Track="inbound_track",
        SequenceId=str(sequence),
        TranscriptionData=data,
        Final="true" if final else "false",
    )
    assert response.status_code == 200, response.data
    return response


def test_twiml_starts_a_live_transcription_in_the_mailbox_language(app, mailbox, twilio):
    root = twiml(incoming(twilio))
    children = [child.tag for child in root]
    assert children.index("Start") < children.index("Record")
    live = root.find("Start/Transcription")
    assert live.get("languageCode") == "zh-CN"
    assert live.get("track") == "inbound_track"
    assert live.get("statusCallbackUrl") == f"{PUBLIC}/voice/live-transcription"
    assert live.get("statusCallbackMethod") == "POST"
    assert root.find("Record").get("transcribe") in (None, "false")


def test_repeated_and_reordered_utterances_make_one_transcript_in_order(app, mailbox, twilio, standin, smtp_server):
    incoming(twilio)
    assert event(twilio, "transcription-started").status_code == 200
    content(twilio, 3, UTTERANCES[3])
    content(twilio, 1, UTTERANCES[1])
    content(twilio, 3, UTTERANCES[3])  # Twilio retried it
    content(twilio, 2, UTTERANCES[2])
    recording_status(twilio, standin)
    work()
    assert smtp_server.received == []  # within the grace period, and Twilio has not said it stopped
    assert event(twilio, "transcription-stopped").status_code == 200
    work_until(lambda: voicemail().transcription_status == "completed")
    work()

    row = voicemail()
    assert row.transcript == "你好，我是小王。明天下午三点请给我回电话。"
    assert (row.transcription_engine, row.transcript_language) == ("twilio-realtime", "zh-CN")
    [received] = smtp_server.received
    assert row.transcript in received.message.get_body(("plain",)).get_content()


def test_without_a_stop_event_the_transcript_is_finished_after_the_grace_period(app, mailbox, twilio, standin):
    incoming(twilio)
    content(twilio, 1, UTTERANCES[1])
    recording_status(twilio, standin)
    work_until(lambda: voicemail().transcription_status == "completed")
    assert voicemail().transcript == UTTERANCES[1]


def test_stop_before_the_recording_status_finishes_at_once(app, mailbox, twilio, standin, smtp_server):
    incoming(twilio)
    content(twilio, 1, UTTERANCES[1])
    event(twilio, "transcription-stopped")
    recording_status(twilio, standin)
    work_until(lambda: len(smtp_server.received) == 1, timeout=5)
    assert voicemail().transcript == UTTERANCES[1]


def test_an_error_without_speech_fails_the_transcript_and_the_email_still_goes(
    app, mailbox, twilio, standin, smtp_server
):
    incoming(twilio)
    event(twilio, "transcription-error", TranscriptionError="Language not supported", TranscriptionErrorCode="32650")
    recording_status(twilio, standin)
    work_until(lambda: len(smtp_server.received) == 1, timeout=5)
    row = voicemail()
    assert (row.transcription_status, row.transcription_error) == ("failed", "Language not supported")
    assert "暂无文字稿。" in smtp_server.received[0].message.get_body(("plain",)).get_content()


@pytest.mark.parametrize(
    "extra",
    [
        {"TranscriptionData": "not json"},
        {"TranscriptionData": json.dumps({"transcript": 42})},
        {"SequenceId": "first"},
        {"SequenceId": ""},
    ],
)
def test_bad_content_events_are_400_not_500(app, mailbox, twilio, extra):
    params = {
        "Track": "inbound_track",
        "SequenceId": "1",
        "TranscriptionData": json.dumps({"transcript": "hi"}),
        **extra,
    }
    response = event(twilio, "transcription-content", **params)
    assert response.status_code == 400


def test_forged_event_is_403(app, mailbox, twilio):
    response = twilio.post(
        "/voice/live-transcription",
        {"CallSid": CALL_SID, "TranscriptionEvent": "transcription-stopped"},
        signature="forged",
    )
    assert response.status_code == 403
