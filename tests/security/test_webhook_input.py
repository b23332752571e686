"""Twilio's routes: oversized bodies are 413 before anything is read; odd numbers are 400, as TwiML."""

from __future__ import annotations

import io
import xml.etree.ElementTree as ET

import pytest

from tests.support import Twilio, api_headers
from tests.support.builders import TWILIO_NUMBER, call_params, make_mailbox

TWILIO_ROUTES = [
    "/voice/incoming",
    "/voice/screen",
    "/voice/screen-result",
    "/voice/dial-complete",
    "/voice/recording",
    "/voice/recording-status",
    "/voice/transcription",
    "/sms/status",
    "/sms/incoming",
    "/conversations/events",
]
MIB = 1024 * 1024


class Tripwire(io.RawIOBase):
    """A request body of `size` bytes that counts how much of it the server reads."""

    def __init__(self, size: int) -> None:
        self.size, self.position, self.read_bytes = size, 0, 0

    def readable(self) -> bool:
        return True

    def seekable(self) -> bool:
        return True

    def seek(self, offset: int, whence: int = 0) -> int:
        self.position = (0, self.position, self.size)[whence] + offset
        return self.position

    def tell(self) -> int:
        return self.position

    def readinto(self, buffer) -> int:
        n = min(len(buffer), self.size - self.position)
        buffer[:n] = b"a" * n
        self.position += n
        self.read_bytes += n
        return n


def assert_twiml(response, status: int) -> None:
    assert response.status_code == status, (response.status_code, response.data[:200])
    assert response.mimetype == "text/xml" and ET.fromstring(response.data).tag == "Response"


@pytest.mark.parametrize("path", TWILIO_ROUTES)
def test_oversized_form_is_413_twiml_before_it_is_read(client, path):
    body = Tripwire(200 * MIB)
    response = client.post(
        path,
        input_stream=body,
        headers={"X-Twilio-Signature": "forged"},
        content_type="application/x-www-form-urlencoded",
    )
    assert_twiml(response, 413)
    assert body.read_bytes == 0


@pytest.mark.parametrize("path", ["/sms/incoming", "/voice/recording-status"])
def test_many_fields_over_a_mebibyte_are_413(client, path):
    # Each field is under Flask's per-field limit; together they are over MAX_CONTENT_LENGTH.
    params = {f"Field{i}": "x" * 300_000 for i in range(4)}
    response = client.post(path, data=params, headers={"X-Twilio-Signature": "forged"})
    assert_twiml(response, 413)


def test_limit_is_a_setting(make_app):
    app = make_app(MAX_CONTENT_LENGTH=2 * MIB)
    params = {f"Field{i}": "x" * 300_000 for i in range(4)}
    response = app.test_client().post("/sms/incoming", data=params, headers={"X-Twilio-Signature": "forged"})
    assert_twiml(response, 403)


def test_oversized_json_is_413_in_the_json_shape(client):
    body = Tripwire(200 * MIB)
    response = client.post(
        "/api/messages",
        input_stream=body,
        headers=api_headers(),
        content_type="application/json",
    )
    assert response.status_code == 413
    assert response.get_json()["error"]["code"] == "request_entity_too_large"
    assert body.read_bytes == 0
    big = {"to": "+14155550123", "body": "x" * (2 * MIB)}
    response = client.post("/api/messages", json=big, headers=api_headers())
    assert response.status_code == 413 and response.get_json()["error"]["code"] == "request_entity_too_large"


@pytest.mark.parametrize("value", ["²", "١٢", "+5", "99999999999999999999"])
def test_unicode_digits_in_num_media_are_400(app, twilio, value):
    make_mailbox()
    params = {"MessageSid": "SM" + "6" * 32, "From": "+14155550123", "To": TWILIO_NUMBER, "Body": "hi"}
    assert_twiml(twilio.post("/sms/incoming", {**params, "NumMedia": value}), 400)


@pytest.mark.parametrize("path", ["/voice/recording", "/voice/recording-status"])
@pytest.mark.parametrize("value", ["²", "١٢", "-1"])
def test_unicode_digits_in_recording_duration_are_400(app, twilio, path, value):
    params = call_params(
        RecordingSid="RE" + "a" * 32,
        RecordingUrl="https://api.twilio.com/2010-04-01/Accounts/AC00/Recordings/RE" + "a" * 32,
        RecordingStatus="completed",
        RecordingDuration=value,
    )
    assert_twiml(twilio.post(path, params), 400)


def test_unicode_digits_in_dial_attempt_are_400(app, client):
    make_mailbox()
    signed = Twilio(client)
    path = "/voice/dial-complete?attempt=%C2%B2"
    params = call_params(DialCallStatus="no-answer")
    response = signed.post(path, params, sign_url="http://localhost/voice/dial-complete?attempt=²")
    assert_twiml(response, 400)


def test_cli_remove_takes_only_ascii_ids(app, runner):
    make_mailbox()
    for odd in ("²", "99999999999999999999999"):
        result = runner.invoke(args=["mailbox", "remove", odd])
        assert result.exit_code == 2 and "no mailbox" in result.output, result.output
