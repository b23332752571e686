"""The whisper engine end to end: a zh-CN voicemail's recording is fetched from the Twilio stand-in,
posted to a loopback OpenAI-compatible API, and the Chinese transcript reaches the Chinese email,
once. The API's 429, 500 and garbage are retried or failed as they deserve, and the email still
goes out exactly once."""

from __future__ import annotations

import pytest

from tests.notifications.steps import AUDIO, incoming, notify_settings, recording_status, voicemail
from tests.support import api_headers, twiml, work, work_until
from tests.support.builders import make_mailbox
from tests.transcripts.speech_api import API_KEY, MODEL, RATE_LIMITED, SERVER_ERROR, SLOW
from voicebox.config import ConfigError
from voicebox.jobs import sweep
from voicebox.models import NotifyState
from voicebox.queueing import get_redis

CHINESE = "你好，我是小王。请明天给我回电话，谢谢。"


@pytest.fixture
def settings(smtp_server, standin, speech_api) -> dict:
    return notify_settings(smtp_server, standin, TRANSCRIPTION_RETRY_INTERVALS=[1, 1], **speech_api.settings())


@pytest.fixture
def mailbox(app):
    return make_mailbox(language="zh-CN", timezone="Asia/Shanghai", emails=["laowang@example.com"], forward_to=[])


def _leave_voicemail(twilio, standin):
    prompt = twiml(incoming(twilio))
    recording_status(twilio, standin)
    return prompt


def test_zh_cn_voicemail_is_transcribed_in_chinese_and_emailed_in_chinese(
    app, mailbox, twilio, standin, speech_api, smtp_server, client
):
    speech_api.transcripts["zh"] = CHINESE
    prompt = _leave_voicemail(twilio, standin)

    record = prompt.find("Record")
    assert record is not None and record.get("transcribe") in (None, "false")  # Twilio's is English only
    assert prompt.find("Start") is None
    said = " ".join(s.text or "" for s in prompt.iter("Say"))
    assert "留言" in said and "message" not in said.lower()

    work()
    [upload] = speech_api.uploads
    assert upload.authorization == f"Bearer {API_KEY}"
    assert (upload.model, upload.language, upload.response_format) == (MODEL, "zh", "json")
    assert upload.audio == AUDIO and upload.filename.endswith(".mp3") and upload.content_type == "audio/mpeg"

    row = voicemail()
    assert (row.transcript, row.transcript_language, row.transcription_engine) == (CHINESE, "zh-CN", "whisper")
    assert (row.transcription_status, row.notify_state) == ("completed", NotifyState.SENT)
    [received] = smtp_server.received
    assert received.message["Subject"].startswith("Support 收到来自")
    text = received.message.get_body(("plain",)).get_content()
    assert CHINESE in text and "文字稿" in text

    shown = client.get(f"/api/voicemails/{row.id}", headers=api_headers()).get_json()
    assert (shown["transcription_engine"], shown["transcript_language"]) == ("whisper", "zh-CN")


def test_rate_limit_and_server_error_are_retried_then_the_email_goes_once(
    app, mailbox, twilio, standin, speech_api, smtp_server
):
    speech_api.transcripts["zh"] = CHINESE
    speech_api.answers = [RATE_LIMITED, SERVER_ERROR]
    _leave_voicemail(twilio, standin)
    work_until(lambda: voicemail().transcription_status == "completed")
    work()
    assert len(speech_api.uploads) == 3
    assert voicemail().transcript == CHINESE
    [received] = smtp_server.received
    assert CHINESE in received.message.get_body(("plain",)).get_content()


def test_endpoint_that_keeps_failing_ends_in_a_failed_status_and_one_email(
    app, mailbox, twilio, standin, speech_api, smtp_server
):
    speech_api.answers = [SERVER_ERROR] * 3  # the first try and both retries
    _leave_voicemail(twilio, standin)
    work_until(lambda: voicemail().transcription_status == "failed")
    work()
    row = voicemail()
    assert "500" in row.transcription_error and "server had an error" in row.transcription_error
    assert len(speech_api.uploads) == 3
    [received] = smtp_server.received
    assert "暂无文字稿。" in received.message.get_body(("plain",)).get_content()


@pytest.mark.parametrize(
    "answer",
    [(200, b"<html><body>Bad gateway</body></html>"), (200, {"transcript": "wrong shape"}), (200, {"text": 42})],
)
def test_garbage_is_a_failed_status_without_retries_and_the_email_goes_once(
    app, mailbox, twilio, standin, speech_api, smtp_server, answer
):
    speech_api.answers = [answer]
    _leave_voicemail(twilio, standin)
    work()
    row = voicemail()
    assert row.transcription_status == "failed"
    assert "without a transcript" in row.transcription_error
    assert len(speech_api.uploads) == 1
    assert row.notify_state == NotifyState.SENT
    assert len(smtp_server.received) == 1


def test_a_refusal_names_the_api_reason(app, mailbox, twilio, standin, speech_api, smtp_server):
    app.config["TRANSCRIPTION_API_KEY"] = "sk-wrong"
    _leave_voicemail(twilio, standin)
    work()
    row = voicemail()
    assert row.transcription_status == "failed"
    assert row.transcription_error == "the transcription API refused the recording: 401 Incorrect API key provided."
    assert len(speech_api.uploads) == 1 and len(smtp_server.received) == 1


def test_whisper_without_an_api_fails_at_start_up(make_app):
    with pytest.raises(ConfigError, match="TRANSCRIPTION_API_BASE"):
        make_app(TRANSCRIPTION="whisper")
    with pytest.raises(ConfigError, match="TRANSCRIPTION"):
        make_app(TRANSCRIPTION="deepspeech")


def test_redo_a_transcript_through_the_api(app, mailbox, twilio, standin, speech_api, smtp_server, client):
    speech_api.answers = [(400, {"error": {"message": "Audio file is too short", "type": "invalid_request_error"}})]
    _leave_voicemail(twilio, standin)
    work()
    row = voicemail()
    assert row.transcription_status == "failed"

    speech_api.transcripts["zh"] = CHINESE
    response = client.post(f"/api/voicemails/{row.id}/transcribe", headers=api_headers())
    assert response.status_code == 202, response.get_json()
    assert response.get_json()["transcription_status"] == "in-progress"
    work()
    assert voicemail().transcript == CHINESE
    assert len(smtp_server.received) == 1  # the email went out before; a redo never sends it again

    missing = client.post("/api/voicemails/999/transcribe", headers=api_headers())
    assert missing.status_code == 404


def test_sweep_requeues_a_transcription_whose_job_redis_lost(app, mailbox, twilio, standin, speech_api, smtp_server):
    speech_api.transcripts["zh"] = CHINESE
    _leave_voicemail(twilio, standin)
    get_redis().flushdb()  # every queued job is gone; the rows are the truth
    assert voicemail().transcription_status == "in-progress"
    assert sweep()["transcripts"] == 1
    work_until(lambda: voicemail().transcription_status == "completed")
    assert voicemail().transcript == CHINESE


def test_a_slow_endpoint_times_out_and_is_tried_again(app, mailbox, twilio, standin, speech_api, smtp_server):
    app.config["TRANSCRIPTION_TIMEOUT"] = 1
    speech_api.transcripts["zh"] = CHINESE
    speech_api.answers = [(SLOW, 3)]
    _leave_voicemail(twilio, standin)
    work_until(lambda: voicemail().transcription_status == "completed")
    assert len(speech_api.uploads) == 2 and voicemail().transcript == CHINESE
