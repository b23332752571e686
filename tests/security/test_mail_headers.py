"""No header injection: a line break in a header refuses the email instead of adding headers."""

from __future__ import annotations

import pytest
from flask_mail import Message

from voicebox import mailer


@pytest.fixture(name="app")
def app_with_smtp(make_app, smtp_server):
    app = make_app(**smtp_server.settings())
    with app.app_context():
        yield app


@pytest.mark.parametrize(
    "subject",
    [
        "Voicemail for Support\r\nReply-To: attacker@evil.example",
        "Voicemail for Support\nBcc: attacker@evil.example",
        "Voicemail for Support\rReply-To: attacker@evil.example",
    ],
)
def test_a_message_with_bad_headers_is_refused_for_good(app, smtp_server, subject):
    message = Message(subject=subject, recipients=["team@example.com"], body="hello")
    with pytest.raises(mailer.SendError) as refused:
        mailer.deliver(message)
    assert refused.value.permanent
    assert smtp_server.messages == []


def test_a_bad_recipient_header_is_refused(app, smtp_server):
    message = Message(subject="hi", recipients=["team@example.com\r\nBcc: attacker@evil.example"], body="x")
    with pytest.raises(mailer.SendError):
        mailer.deliver(message)
    assert smtp_server.messages == []


def test_a_clean_message_is_sent(app, smtp_server):
    mailer.deliver(Message(subject="Voicemail for Support", recipients=["team@example.com"], body="hello"))
    [sent] = smtp_server.messages
    assert sent["Subject"] == "Voicemail for Support" and sent["Reply-To"] is None
