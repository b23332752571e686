"""Choosing the transcription engine: the setting, the per-mailbox override and its validation,
`none` (the email says transcription is off), and the CLI that shows and redoes a transcript."""

from __future__ import annotations

from urllib.parse import urlsplit

import pytest

from tests.notifications.steps import PUBLIC, incoming, notify_settings, recording_status, voicemail
from tests.support import Twilio, api_headers, twiml, work
from tests.support.builders import make_mailbox
from voicebox.services.transcripts import engine_for

MAILBOX = {
    "name": "Beijing",
    "twilio_number": "+14155550100",
    "emails": ["laowang@example.com"],
    "language": "zh-CN",
}


def post(client, body):
    return client.post("/api/mailboxes", json=body, headers=api_headers())


@pytest.mark.parametrize(
    ("change", "field", "words"),
    [
        ({"transcription": "deepspeech"}, "transcription", "whisper"),  # names the allowed engines
        ({"transcription": "whisper"}, "transcription", "TRANSCRIPTION_API_BASE"),  # not configured here
        ({"language": "xx-YY"}, "language", "not a supported language"),
        ({"language": "klingon"}, "language", ""),
    ],
)
def test_bad_engine_or_language_is_a_400_naming_the_field(app, client, change, field, words):
    response = post(client, {**MAILBOX, **change})
    assert response.status_code == 400, response.get_json()
    error = response.get_json()["error"]
    assert (error["code"], error["field"]) == ("validation_error", field)
    assert words in error["message"]


def test_override_is_stored_shown_and_patched_back_to_the_setting(app, client):
    created = post(client, {**MAILBOX, "transcription": "none"}).get_json()
    assert created["transcription"] == "none"
    path = f"/api/mailboxes/{created['id']}"
    patched = client.patch(path, json={"transcription": None}, headers=api_headers()).get_json()
    assert patched["transcription"] is None
    bad = client.patch(path, json={"transcription": "whisper"}, headers=api_headers())
    assert bad.status_code == 400 and bad.get_json()["error"]["field"] == "transcription"


def test_auto_picks_twilio_for_english_realtime_for_others_whisper_when_an_api_is_set(app):
    english = make_mailbox(name="en", twilio_number="+14155550101", language="en-GB")
    chinese = make_mailbox(name="zh", twilio_number="+14155550102", language="zh-CN")
    off = make_mailbox(name="off", twilio_number="+14155550103", language="zh-CN", transcription="none")
    assert [engine_for(m) for m in (english, chinese, off)] == ["twilio", "twilio-realtime", "none"]
    app.config["TRANSCRIPTION_API_BASE"] = "http://127.0.0.1:9/v1"
    assert [engine_for(m) for m in (english, chinese, off)] == ["whisper", "whisper", "none"]
    app.config["TRANSCRIPTION"] = "twilio"
    assert [engine_for(m) for m in (english, chinese, off)] == ["twilio", "twilio", "none"]


def test_engine_none_records_without_transcription_and_the_email_says_it_is_off(app, twilio, standin, smtp_server):
    make_mailbox(language="zh-CN", forward_to=[], transcription="none")
    prompt = twiml(incoming(twilio))
    assert prompt.find("Record").get("transcribe") in (None, "false") and prompt.find("Start") is None
    recording_status(twilio, standin)
    work()  # no waiting for a transcript that will never come
    row = voicemail()
    assert (row.transcription_engine, row.transcription_status) == ("none", "off")
    [received] = smtp_server.received
    assert "此信箱已关闭语音转文字。" in received.message.get_body(("plain",)).get_content()


def test_english_mailbox_keeps_twilio_record_transcribe(app, twilio):
    make_mailbox(language="en-US", forward_to=[])
    record = twiml(incoming(twilio)).find("Record")
    assert (
        record.get("transcribe") == "true"
        and urlsplit(record.get("transcribeCallback", "")).path == "/voice/transcription"
    )


def test_cli_shows_engine_and_language_and_refuses_a_redo_without_whisper(app, runner, twilio, standin):
    make_mailbox(language="zh-CN", forward_to=[], transcription="none")
    incoming(twilio)
    recording_status(twilio, standin)
    row = voicemail()
    shown = runner.invoke(args=["voicemail", "show", str(row.id)])
    assert shown.exit_code == 0 and "engine none, language zh-CN, transcript off" in shown.output
    redo = runner.invoke(args=["voicemail", "transcribe", str(row.id)])
    assert redo.exit_code != 0 and "only the whisper engine" in redo.output
    assert runner.invoke(args=["voicemail", "transcribe", "999"]).exit_code != 0


def test_cli_redoes_a_transcript_with_whisper(make_app, smtp_server, standin, speech_api):
    app = make_app(**notify_settings(smtp_server, standin, TRANSCRIPTION="none", **speech_api.settings()))
    with app.app_context():
        twilio = Twilio(app.test_client(), public_base=PUBLIC)
        make_mailbox(language="zh-CN", forward_to=[])
        incoming(twilio)
        recording_status(twilio, standin)
        work()
        app.config["TRANSCRIPTION"] = "whisper"
        speech_api.transcripts["zh"] = "请回电。"
        result = app.test_cli_runner().invoke(args=["voicemail", "transcribe", str(voicemail().id)])
        assert result.exit_code == 0, result.output
        work()
        assert (voicemail().transcript, voicemail().transcription_engine) == ("请回电。", "whisper")
        assert len(smtp_server.received) == 1


def test_cli_mailbox_add_takes_an_engine_and_refuses_one_not_configured(app, runner):
    base = ["mailbox", "add", "--name", "Beijing", "--number", "+14155550100", "--email", "a@example.com"]
    refused = runner.invoke(args=[*base, "--language", "zh-CN", "--transcription", "whisper"])
    assert refused.exit_code != 0 and "TRANSCRIPTION_API_BASE" in refused.output
    unknown = runner.invoke(args=[*base, "--language", "xx-YY"])
    assert unknown.exit_code != 0 and "not a supported language" in unknown.output
    created = runner.invoke(args=[*base, "--language", "zh-CN", "--transcription", "none"])
    assert created.exit_code == 0, created.output
    listed = runner.invoke(args=["mailbox", "list", "--json"])
    assert listed.exit_code == 0 and '"transcription": "none"' in listed.output
