"""Steps for the web tests: CSRF tokens read from the pages, signing in, voicemails and texts left through
signed webhooks."""

from __future__ import annotations

import re

from tests.support.builders import CALLER, TWILIO_NUMBER, call_params

PUBLIC = "https://voicebox.example.com"
SERVICE = "MG" + "0" * 32
PASSWORD = "correct horse battery"
SALES_NUMBER = "+14155550177"
AUDIO = b"ID3\x03\x00" + bytes(range(256)) * 40  # stands in for an MP3 file
TOKEN = re.compile(r'name="csrf_token" value="([^"]+)"')


def csrf_token(client, path: str = "/login") -> str:
    """The CSRF token a page carries in its forms (one per session)."""
    page = client.get(path)
    match = TOKEN.search(page.get_data(as_text=True))
    assert match, f"no CSRF token on {path}"
    return match.group(1)


def sign_in(client, email: str, password: str = PASSWORD):
    return client.post("/login", data={"email": email, "password": password, "csrf_token": csrf_token(client)})


def submit(client, path: str, data: dict | None = None, page: str = "/inbox"):
    """POST a form as the browser does: with the token from a page of the session."""
    return client.post(path, data={**(data or {}), "csrf_token": csrf_token(client, page)})


def leave_voicemail(
    twilio, standin, n: int, *, to: str = TWILIO_NUMBER, caller: str = CALLER, transcript: str | None = None,
    duration: int = 42,
) -> str:  # fmt: skip
    """A call that ends in a recording (served by the stand-in) and its transcript. Returns the RecordingSid."""
    call_sid, recording_sid = f"CA{n:032x}", f"RE{n:032x}"
    twilio.post("/voice/incoming", call_params(call_sid, To=to, From=caller))
    standin.recordings[recording_sid] = AUDIO
    twilio.post(
        "/voice/recording-status",
        {
            "AccountSid": "AC" + "0" * 32,
            "CallSid": call_sid,
            "RecordingSid": recording_sid,
            "RecordingUrl": standin.recording_url(recording_sid),
            "RecordingStatus": "completed",
            "RecordingDuration": str(duration),
            "RecordingChannels": "1",
            "RecordingSource": "RecordVerb",
        },
    )
    if transcript is not None:
        twilio.post(
            "/voice/transcription",
            {
                "AccountSid": "AC" + "0" * 32,
                "CallSid": call_sid,
                "RecordingSid": recording_sid,
                "TranscriptionSid": f"TR{n:032x}",
                "TranscriptionText": transcript,
                "TranscriptionStatus": "completed",
            },
        )
    return recording_sid


def text_in(twilio, n: int, body: str, *, to: str = TWILIO_NUMBER, caller: str = CALLER):
    """An inbound SMS to one of our numbers, as Twilio posts it."""
    return twilio.post(
        "/sms/incoming",
        {
            "AccountSid": "AC" + "0" * 32,
            "MessageSid": f"SM{n:032x}",
            "From": caller,
            "To": to,
            "Body": body,
            "NumMedia": "0",
            "ApiVersion": "2010-04-01",
        },
    )
