"""`flask simulate call|sms` against voicebox served over real HTTP: signed webhooks in Twilio's order."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from sqlalchemy import select

from tests.support import work_until
from tests.support.builders import CALLER, OWNER_CELL, TWILIO_NUMBER, make_mailbox
from tests.support.live import serve
from voicebox.extensions import db
from voicebox.models import Call, InboundMessage, NotifyState, Voicemail
from voicebox.services import outbox

TONE = (Path(__file__).resolve().parents[1] / "support" / "media" / "tone.mp3").read_bytes()
PUBLIC = "https://voicebox.example.com"


@pytest.fixture
def running(make_app, standin, tmp_path):
    """voicebox on loopback with Twilio's media host stood in; yields (app, base URL)."""

    def start(**overrides):
        standin.default_recording = TONE
        app = make_app(TWILIO_API_BASE_URL=standin.base_url, INSTANCE_PATH=str(tmp_path), **overrides)
        return app

    return start


def simulate(app, url: str, *args: str):
    with app.app_context():
        return app.test_cli_runner().invoke(args=["simulate", *args, "--url", url])


def steps(output: str) -> list[str]:
    """The webhooks the simulator posted, in order (without the call's To/From that <Record> URLs carry)."""
    return [
        re.sub(r"\?to=[^&]*&caller=[^&]*$", "", path) for path in re.findall(r"^--> POST (\S+)", output, flags=re.M)
    ]


def test_unanswered_call_leaves_a_voicemail_whose_email_is_kept(running):
    # Signed against PUBLIC_BASE_URL (what Twilio signs), sent to the local server; no MAIL_SERVER.
    app = running(PUBLIC_BASE_URL=PUBLIC, MAIL_SERVER=None, MAIL_SUPPRESS_SEND=False)
    with app.app_context():
        make_mailbox()
    with serve(app) as url:
        result = simulate(app, url, "call", "--to", TWILIO_NUMBER, "--from", CALLER, "--transcript", "Call me back")
    assert result.exit_code == 0, result.output
    assert steps(result.output) == [
        "/voice/incoming",
        "/voice/dial-complete?attempt=0",
        "/voice/recording",
        "/voice/recording-status",
        "/voice/transcription",
    ]
    assert "<Dial" in result.output and "<Record" in result.output  # each step's TwiML is printed
    assert result.output.rstrip().endswith(f"from {CALLER} to {TWILIO_NUMBER}: voicemail")
    with app.app_context():
        voicemail = db.session.scalar(select(Voicemail))
        assert (voicemail.transcript, voicemail.duration, voicemail.from_number) == ("Call me back", 12, CALLER)
        assert voicemail.recording_url.startswith(app.config["TWILIO_API_BASE_URL"])
        work_until(lambda: db.session.get(Voicemail, voicemail.id).notify_state == NotifyState.SENT)
        kept = outbox.recent()
    assert [e.recipients for e in kept] == [("owner@example.com",)]
    assert "Call me back" in kept[0].text


def test_answered_call_is_screened_and_bridged(running):
    app = running()
    with app.app_context():
        make_mailbox()
    with serve(app) as url:
        result = simulate(app, url, "call", "--to", TWILIO_NUMBER, "--from", CALLER, "--answer")
    assert result.exit_code == 0, result.output
    assert steps(result.output) == [
        "/voice/incoming",
        "/voice/screen",
        "/voice/screen-result",
        "/voice/dial-complete?attempt=0",
    ]
    assert "Press 1 to accept" in result.output
    with app.app_context():
        call = db.session.scalar(select(Call))
        assert (call.screen_accepted, call.accepted_by, call.went_to_voicemail) == (True, OWNER_CELL, False)
        assert db.session.scalar(select(Voicemail)) is None


@pytest.mark.parametrize(
    ("flag", "dial_steps"),
    [
        ("--decline", ["/voice/screen", "/voice/screen-result", "/voice/dial-complete?attempt=0"]),
        ("--busy", ["/voice/dial-complete?attempt=0"]),
    ],
)
def test_declined_or_busy_goes_to_voicemail(running, flag, dial_steps):
    app = running()
    with app.app_context():
        make_mailbox()
    with serve(app) as url:
        result = simulate(app, url, "call", "--to", TWILIO_NUMBER, "--from", CALLER, flag)
    assert result.exit_code == 0, result.output
    tail = ["/voice/recording", "/voice/recording-status", "/voice/transcription"]
    assert steps(result.output) == ["/voice/incoming", *dial_steps, *tail]
    with app.app_context():
        assert db.session.scalar(select(Call)).screen_accepted is False
        assert db.session.scalar(select(Voicemail)) is not None


def test_try_out_mode_signs_with_the_local_token(running):
    app = running(TWILIO_ACCOUNT_SID=None, TWILIO_AUTH_TOKEN="local-abc")
    with app.app_context():
        make_mailbox(forward_to=[])
    with serve(app) as url:
        result = simulate(app, url, "call", "--to", TWILIO_NUMBER, "--from", CALLER)
    assert result.exit_code == 0, result.output
    assert steps(result.output)[0] == "/voice/incoming"


def test_a_wrong_token_is_refused_by_voicebox(running):
    app = running()
    with serve(app) as url:
        other = running(TWILIO_AUTH_TOKEN="not-the-servers-token")
        result = simulate(other, url, "call", "--to", TWILIO_NUMBER, "--from", CALLER)
    assert result.exit_code == 1
    assert "voicebox answered 403 to /voice/incoming" in result.output


def test_simulated_text_is_received(running):
    app = running(SMS_KEYWORD_REPLIES=True)  # so HELP is answered in the TwiML (off by default: Twilio answers)
    with app.app_context():
        make_mailbox()
    with serve(app) as url:
        result = simulate(app, url, "sms", "--to", TWILIO_NUMBER, "--from", CALLER, "--body", "HELP")
    assert result.exit_code == 0, result.output
    assert steps(result.output) == ["/sms/incoming"]
    assert "<Message>" in result.output  # HELP is answered in the TwiML
    with app.app_context():
        text = db.session.scalar(select(InboundMessage))
        assert (text.from_number, text.to_number, text.body, text.keyword) == (CALLER, TWILIO_NUMBER, "HELP", "help")


def test_voicebox_not_running(running):
    from tests.support import free_port

    app = running()
    result = simulate(
        app, f"http://127.0.0.1:{free_port()}", "sms", "--to", TWILIO_NUMBER, "--from", CALLER, "--body", "x"
    )
    assert result.exit_code == 1
    assert "is it running?" in result.output
