"""Sending a composed email over SMTP with Flask-Mail (composing is services/emails.py).

Delivery errors are sorted into temporary (retry later) and permanent (give up and say why),
following SMTP's own codes: 4xx and connection trouble are temporary, 5xx is permanent.
"""

from __future__ import annotations

import logging
import smtplib
from collections.abc import Iterator
from contextlib import contextmanager

import flask_mail
from flask import current_app
from flask_mail import email_dispatched, sanitize_address, sanitize_addresses

from .services import outbox
from .services.emails import Email

log = logging.getLogger(__name__)


class SendError(Exception):
    """The email was not sent. `permanent` is False when trying again later may succeed."""

    def __init__(self, reason: str, permanent: bool) -> None:
        super().__init__(reason)
        self.reason = reason
        self.permanent = permanent


def mime_message(email: Email) -> flask_mail.Message:
    """The Flask-Mail message for a composed email, with its stable Message-ID."""
    message = flask_mail.Message(
        subject=email.subject,
        recipients=list(email.recipients),
        body=email.text,
        html=email.html,
        extra_headers=dict(email.headers),
    )
    message.msgId = f"<{email.id_key}@{_sender_domain(message.sender)}>"
    for attachment in email.attachments:
        message.attach(attachment.filename, attachment.content_type, attachment.data)
    return message


def _sender_domain(sender: str | tuple[str, str] | None) -> str:
    address = sender[1] if isinstance(sender, tuple) else (sender or "")
    return address.rstrip(">").rpartition("@")[2] or "voicebox.invalid"


def send(email: Email) -> dict[str, str]:
    """Send over SMTP. Returns the recipients the server refused (the others got it).

    Raises SendError when nobody got it. Honours MAIL_SUPPRESS_SEND and Flask-Mail's
    `email_dispatched` signal, like `mail.send`. Without MAIL_SERVER (local try-out mode) the
    email is logged and kept in the instance folder's outbox instead (services/outbox.py).
    """
    message = mime_message(email)
    if message.has_bad_headers():
        # A line break in the subject, sender or recipients would add headers of the sender's choosing
        # (Flask-Mail's mail.send checks this; we send the bytes ourselves, so we check it here).
        raise SendError("refused: a header of the message contains a line break", permanent=True)
    state = current_app.extensions["mail"]
    # Signals are sent by the app itself, not the proxy; Flask types `current_app` as Flask, hiding the
    # proxy's method (Flask's own code ignores the same error).
    app = current_app._get_current_object()  # type: ignore[attr-defined]
    if state.suppress:
        email_dispatched.send(app, message=message)
        return {}
    if not current_app.config.get("MAIL_SERVER"):
        return _keep(email, message)
    sender = sanitize_address(message.sender)
    to = list(sanitize_addresses(message.send_to))
    try:
        with _smtp(state) as smtp:
            refused = smtp.sendmail(sender, to, message.as_bytes())
    except (smtplib.SMTPException, OSError) as exc:
        raise _send_error(exc) from exc
    email_dispatched.send(app, message=message)
    return {addr: f"{code} {_text(text)}" for addr, (code, text) in refused.items()}


def _keep(email: Email, message: flask_mail.Message) -> dict[str, str]:
    """No MAIL_SERVER (local try-out mode): log the email and keep it in the outbox; nobody is refused."""
    key = outbox.keep(message.as_bytes())
    recipients = ", ".join(email.recipients)
    log.info("MAIL_SERVER is unset: kept email %r to %s in %s (%s)", email.subject, recipients, outbox.folder(), key)
    email_dispatched.send(current_app._get_current_object(), message=message)  # type: ignore[attr-defined]
    return {}


@contextmanager
def _smtp(state) -> Iterator[smtplib.SMTP]:
    # Flask-Mail 0.10 opens SMTP without a timeout, so a stuck server would hang the worker for good.
    smtp_class = smtplib.SMTP_SSL if state.use_ssl else smtplib.SMTP
    smtp = smtp_class(state.server, state.port, timeout=current_app.config["MAIL_TIMEOUT"])
    try:
        if state.use_tls:
            smtp.starttls()
        if state.username and state.password:
            smtp.login(state.username, state.password)
        yield smtp
    finally:
        try:
            smtp.quit()
        except (smtplib.SMTPException, OSError):
            smtp.close()  # the message (if any) was already accepted at DATA; a failed QUIT changes nothing


def _send_error(exc: Exception) -> SendError:
    if isinstance(exc, smtplib.SMTPRecipientsRefused):
        codes = [code for code, _ in exc.recipients.values()]
        reason = "; ".join(f"{addr}: {code} {_text(text)}" for addr, (code, text) in exc.recipients.items())
        return SendError(f"all recipients refused: {reason}", permanent=all(500 <= c < 600 for c in codes))
    if isinstance(exc, smtplib.SMTPResponseException):
        code = exc.smtp_code
        return SendError(f"SMTP {code} {_text(exc.smtp_error)}", permanent=500 <= code < 600)
    return SendError(f"SMTP unreachable: {type(exc).__name__}: {exc}", permanent=False)


def _text(value: bytes | str) -> str:
    return value.decode("utf-8", "replace") if isinstance(value, bytes) else str(value)
