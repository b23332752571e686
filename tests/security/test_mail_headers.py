"""No header injection: a line break in a header refuses the email instead of adding headers."""

from __future__ import annotations

import pytest

from voicebox import mail_transport
from voicebox.services.emails import Email


def email(subject: str, recipients: list[str] | None = None) -> Email:
    return Email(
        subject=subject,
        recipients=recipients or ["team@example.com"],
        text="hello",
        html="<p>hello</p>",
        headers={},
        id_key="test.1",
    )


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
    message = email(subject=subject)
    with pytest.raises(mail_transport.SendError) as refused:
        mail_transport.send(message)
    assert refused.value.permanent
    assert smtp_server.messages == []


def test_a_bad_recipient_header_is_refused(app, smtp_server):
    message = email(subject="hi", recipients=["team@example.com\r\nBcc: attacker@evil.example"])
    with pytest.raises(mail_transport.SendError):
        mail_transport.send(message)
    assert smtp_server.messages == []


def test_a_clean_message_is_sent(app, smtp_server):
    mail_transport.send(email(subject="Voicemail for Support"))
    [sent] = smtp_server.messages
    assert sent["Subject"] == "Voicemail for Support" and sent["Reply-To"] is None
