"""Shared steps for the voicemail notification tests: leave a voicemail through signed webhooks,
and run a real RQ worker (in-process burst worker with its scheduler) until something happens."""

from __future__ import annotations

import time
from collections.abc import Callable

import pytest
from rq import SimpleWorker

from tests.conftest import ACCOUNT_SID, AUTH_TOKEN, Twilio
from tests.helpers import OWNER_CELL, OWNER_DESK, call_params, make_mailbox
from tests.twilio_standin import TwilioStandIn
from voicebox.extensions import db
from voicebox.models import Voicemail
from voicebox.queueing import get_queue, get_redis

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


# Fixtures, imported by the notification test modules (pytest finds them under these names).
@pytest.fixture(name="standin")
def standin_fixture():
    host = TwilioStandIn(ACCOUNT_SID, AUTH_TOKEN)
    yield host
    host.close()


@pytest.fixture(name="app")
def notify_app_fixture(make_app, smtp_server, standin):
    app = make_app(**notify_settings(smtp_server, standin))
    with app.app_context():
        yield app


@pytest.fixture(name="twilio")
def public_twilio_fixture(client):
    """Signed for PUBLIC_BASE_URL, as Twilio signs when the app sits behind a proxy."""
    return Twilio(client, public_base=PUBLIC)


@pytest.fixture(name="mailbox")
def mailbox_fixture(app):
    return make_mailbox(
        emails=["owner@example.com", "desk@example.com"],
        forward_to=[OWNER_CELL, OWNER_DESK],
        # Sequential: these tests are about the emails, not about ringing phones through the REST API.
        ring_mode="sequential",
        timezone="America/Los_Angeles",
    )


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


def work() -> None:
    """One burst of a real RQ worker with its scheduler (due scheduled jobs and retries move first)."""
    SimpleWorker([get_queue()], connection=get_redis()).work(burst=True, with_scheduler=True)


def work_until(condition: Callable[[], bool], timeout: float = 20) -> None:
    """Run burst workers until `condition` holds (for retries and fallbacks that fall due later)."""
    deadline = time.monotonic() + timeout
    while True:
        work()
        if condition():
            return
        assert time.monotonic() < deadline, "gave up waiting for the worker"
        time.sleep(0.2)


def voicemail(recording_sid: str = RECORDING_SID) -> Voicemail:
    """The voicemail row as the database has it now."""
    db.session.expire_all()
    return db.session.query(Voicemail).filter_by(recording_sid=recording_sid).one()
