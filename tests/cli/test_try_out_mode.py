"""Local try-out mode (no TWILIO_ACCOUNT_SID): signed webhooks work on the local token, REST features say
"Twilio credentials not set", and without MAIL_SERVER emails are kept rather than lost."""

from __future__ import annotations

import logging

import pytest

from tests.support import Twilio, api_headers, twiml
from tests.support.builders import call_params, make_mailbox
from voicebox.mail_transport import send
from voicebox.services import outbox
from voicebox.services.emails import Email

LOCAL_TOKEN = "local-token-from-scripts-run"


@pytest.fixture
def try_out(make_app, tmp_path):
    app = make_app(
        TWILIO_ACCOUNT_SID=None,
        TWILIO_AUTH_TOKEN=LOCAL_TOKEN,
        TWILIO_MESSAGING_SERVICE_SID=None,
        PUBLIC_BASE_URL="https://vb.example.com",
        MAIL_SERVER=None,
        MAIL_SUPPRESS_SEND=False,
        INSTANCE_PATH=str(tmp_path),
    )
    with app.app_context():
        yield app


def test_webhooks_are_checked_against_the_local_token(try_out):
    make_mailbox()
    client = try_out.test_client()
    local = Twilio(client, "https://vb.example.com", token=LOCAL_TOKEN)
    assert twiml(local.post("/voice/incoming", call_params())).find("Dial") is not None
    forged = Twilio(client, "https://vb.example.com", token="anything-else")
    assert forged.post("/voice/incoming", call_params()).status_code == 403


def test_texts_answer_twilio_credentials_not_set(try_out):
    response = try_out.test_client().post(
        "/api/messages", json={"to": "+14155550123", "body": "hi"}, headers=api_headers()
    )
    assert response.status_code == 503
    error = response.get_json()["error"]
    assert error["message"].startswith("Twilio credentials not set: set TWILIO_ACCOUNT_SID and TWILIO_AUTH_TOKEN")


def test_listen_link_says_why_it_cannot_fetch(try_out):
    from voicebox.services import recordings

    with pytest.raises(recordings.MediaError, match="Twilio credentials not set"):
        recordings.open_media("https://api.twilio.com/2010-04-01/Accounts/AC1/Recordings/RE1")


def test_without_mail_server_the_email_is_logged_and_kept(try_out, caplog):
    email = Email(
        id_key="voicemail-1",
        recipients=["owner@example.com", "desk@example.com"],
        subject="Voicemail from +1 415-555-0199",
        text="Please call me back.",
        html="<p>Please call me back.</p>",
        headers={},
    )
    with caplog.at_level(logging.INFO, logger="voicebox.mail_transport"):
        assert send(email) == {}
    assert "kept email 'Voicemail from +1 415-555-0199' to owner@example.com, desk@example.com" in caplog.text
    (kept,) = outbox.recent()
    assert sorted(kept.recipients) == ["desk@example.com", "owner@example.com"]  # Flask-Mail sets To: from a set
    assert kept.subject == "Voicemail from +1 415-555-0199"
    assert kept.text.strip() == "Please call me back."
    assert kept.kept_at is not None
