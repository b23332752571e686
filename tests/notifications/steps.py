"""Steps shared by the voicemail notification tests: leave a voicemail through signed webhooks, and
read the row back."""

from __future__ import annotations

from tests.support.builders import call_params
from voicebox.extensions import db
from voicebox.models import Voicemail

PUBLIC = "https://voicebox.example.com"
CALLER = "+14158675309"
CALL_SID = "CA" + "a" * 32
RECORDING_SID = "RE" + "b" * 32
AUDIO = b"ID3\x03\x00" + bytes(range(256)) * 40  # stands in for an MP3 file


def notify_settings(smtp_server, standin, **extra) -> dict:
    """Settings for notification tests: real SMTP, the stand-in Twilio host, fast retries."""
    return {
        **smtp_server.settings(),
        "PUBLIC_BASE_URL": PUBLIC,
        "TWILIO_API_BASE_URL": standin.base_url,
        "NOTIFY_RETRY_INTERVALS": [1, 1, 1],
        **extra,
    }


def incoming(twilio, call_sid: str = CALL_SID, caller: str = CALLER):
    """The call arrives (this stores the call with its caller and mailbox)."""
    response = twilio.post("/voice/incoming", call_params(call_sid, From=caller))
    assert response.status_code == 200
    return response


def recording_status(
    twilio, standin, *, recording_sid=RECORDING_SID, call_sid=CALL_SID, duration=42, status="completed", **extra
):
    """Twilio's recording status callback (the recording is on the stand-in media host)."""
    standin.recordings.setdefault(recording_sid, AUDIO)
    params = call_params(
        call_sid,
        From=CALLER,
        RecordingSid=recording_sid,
        RecordingUrl=standin.recording_url(recording_sid),
        RecordingDuration=str(duration),
        RecordingStatus=status,
        RecordingChannels="1",
        RecordingSource="RecordVerb",
        **extra,
    )
    response = twilio.post("/voice/recording-status", params)
    assert response.status_code == 200
    return response


def transcription(twilio, text="Hi, it's Jenny. Please call me back about the order.", *, status="completed", **ids):
    recording_sid = ids.get("recording_sid", RECORDING_SID)
    params = call_params(
        ids.get("call_sid", CALL_SID),
        From=CALLER,
        RecordingSid=recording_sid,
        TranscriptionSid="TR" + recording_sid[2:],
        TranscriptionText=text if status == "completed" else "",
        TranscriptionStatus=status,
        TranscriptionType="fast",
    )
    response = twilio.post("/voice/transcription", params)
    assert response.status_code == 200
    return response


def voicemail(recording_sid: str = RECORDING_SID) -> Voicemail:
    """The voicemail row as the database has it now."""
    db.session.expire_all()
    return db.session.query(Voicemail).filter_by(recording_sid=recording_sid).one()
