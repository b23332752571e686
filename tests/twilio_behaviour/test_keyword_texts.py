"""Item 5: no second reply to keywords by default, never a reply to STOP, keyword texts still forwarded."""

from __future__ import annotations

import xml.etree.ElementTree as ET
from pathlib import Path

import pytest

from tests.support import API_TOKEN, SECRET_KEY, Twilio, work
from tests.support.builders import TWILIO_NUMBER, make_mailbox
from voicebox.config import load_config
from voicebox.services import optouts

PUBLIC = "https://voicebox.example.com"
SERVICE = "MG" + "0" * 32
CUSTOMER = "+14155550123"
ROOT = Path(__file__).resolve().parents[2]
_sids = iter(range(1, 10_000))


@pytest.fixture(name="app")
def texts_app(make_app, prism, smtp_server):
    app = make_app(
        TWILIO_HTTP_CLIENT=prism, PUBLIC_BASE_URL=PUBLIC, TWILIO_MESSAGING_SERVICE_SID=SERVICE, **smtp_server.settings()
    )
    with app.app_context():
        make_mailbox(emails=["team@example.com"])
        yield app


def text(app, body: str, **extra) -> ET.Element:
    """An inbound SMS webhook with the parameters Twilio sends; returns the parsed TwiML."""
    params = {
        "ToCountry": "US",
        "SmsMessageSid": (sid := f"SM{next(_sids):032d}"),
        "NumMedia": "0",
        "SmsSid": sid,
        "SmsStatus": "received",
        "Body": body,
        "To": TWILIO_NUMBER,
        "MessagingServiceSid": SERVICE,
        "NumSegments": "1",
        "MessageSid": sid,
        "AccountSid": "AC" + "0" * 32,
        "From": CUSTOMER,
        "ApiVersion": "2010-04-01",
        **extra,
    }
    response = Twilio(app.test_client(), public_base=PUBLIC).post("/sms/incoming", params)
    assert response.status_code == 200 and response.mimetype == "text/xml"
    root = ET.fromstring(response.data)
    assert root.tag == "Response"
    return root


@pytest.mark.parametrize("body", ["HELP", "Info", "START", "Yes", "STOP", "Cancel"])
def test_by_default_voicebox_sends_no_second_reply(app, body):
    # Twilio's default opt-out handling already answered on a US/Canadian long code.
    assert text(app, body).findall("Message") == []


@pytest.mark.parametrize("body", ["STOP", "End", "Quit", "unsubscribe"])
def test_stop_is_never_answered_even_with_keyword_replies_on(app, body):
    app.config["SMS_KEYWORD_REPLIES"] = True
    assert text(app, body).findall("Message") == []
    assert optouts.is_opted_out(CUSTOMER)


def test_keyword_replies_on_answers_help_and_start(app):
    app.config["SMS_KEYWORD_REPLIES"] = True
    [help_reply] = text(app, "HELP").findall("Message")
    [start_reply] = text(app, "START").findall("Message")
    assert (help_reply.text, start_reply.text) == (app.config["SMS_HELP_TEXT"], app.config["SMS_START_TEXT"])


@pytest.mark.parametrize(
    ("body", "label"), [("Yes", "opt-in keyword"), ("Cancel", "opt-out keyword"), ("Info", "help keyword")]
)
def test_a_keyword_alone_is_recorded_and_forwarded_marked_as_a_keyword(app, smtp_server, body, label):
    text(app, body)
    work()
    [email] = smtp_server.messages
    assert email["Subject"].endswith(f"({label})")
    plain = email.get_body(("plain",)).get_content()
    html = email.get_body(("html",)).get_content()
    assert body in plain and body in html
    assert "keyword" in plain.lower() and 'class="keyword"' in html
    assert optouts.is_opted_out(CUSTOMER) == (body == "Cancel")


def test_an_ordinary_text_is_not_marked(app, smtp_server):
    text(app, "Yes please, Tuesday works")
    work()
    [email] = smtp_server.messages
    assert "keyword" not in email["Subject"]
    assert 'class="keyword"' not in email.get_body(("html",)).get_content()


def test_keyword_replies_default_off_and_documented():
    assert (
        load_config(
            {
                "SECRET_KEY": SECRET_KEY,
                "TWILIO_ACCOUNT_SID": "AC",
                "TWILIO_AUTH_TOKEN": "t",
                "VOICEBOX_API_TOKEN": API_TOKEN,
            }
        )["SMS_KEYWORD_REPLIES"]
        is False
    )
    example = (ROOT / ".env.example").read_text()
    assert "\nSMS_KEYWORD_REPLIES=false\n" in example
