"""Emails (voicemails, forwarded texts): built with Flask-Mail from templates/email/, sent over SMTP.

Delivery errors are sorted into temporary (retry later) and permanent (give up and say why),
following SMTP's own codes: 4xx and connection trouble are temporary, 5xx is permanent.
"""

from __future__ import annotations

import logging
import smtplib
from collections.abc import Iterator
from contextlib import contextmanager

from flask import current_app, render_template
from flask_mail import Message, email_dispatched, sanitize_address, sanitize_addresses

from .models import InboundMessage, Voicemail
from .services import recordings
from .services.voicemail_summary import email_subject, local_time, phone_display, summarize

log = logging.getLogger(__name__)


class SendError(Exception):
    """The email was not sent. `permanent` is False when trying again later may succeed."""

    def __init__(self, reason: str, permanent: bool) -> None:
        super().__init__(reason)
        self.reason = reason
        self.permanent = permanent


def recipients(voicemail: Voicemail) -> list[str]:
    """The mailbox's email addresses, each once."""
    emails = voicemail.mailbox.emails if voicemail.mailbox else []
    return list(dict.fromkeys(e.strip() for e in emails if e and e.strip()))


def voicemail_message(voicemail: Voicemail) -> Message:
    """The notification email: both parts, headers, and the MP3 when MAIL_ATTACH_RECORDING is on."""
    summary = summarize(voicemail)
    audio, attachment_note = _recording_attachment(voicemail)
    context = {
        "vm": summary,
        "listen_url": recordings.listen_url(voicemail),
        "link_days": current_app.config["LISTEN_LINK_MAX_AGE_DAYS"],
        "attachment_note": attachment_note,
    }
    message = Message(
        subject=email_subject(summary),
        recipients=recipients(voicemail),
        body=render_template("email/voicemail.txt", **context),
        html=render_template("email/voicemail.html", **context),
        extra_headers={
            # RFC 3834: keeps out-of-office replies away from the sender address.
            "Auto-Submitted": "auto-generated",
            "X-Voicebox-Voicemail": str(voicemail.id),
        },
    )
    # A stable Message-ID: if a crash makes us send twice, mail clients can fold the copies.
    message.msgId = f"<voicemail.{voicemail.recording_sid}@{_sender_domain(message.sender)}>"
    if audio is not None:
        message.attach(f"voicemail-{voicemail.id}.mp3", "audio/mpeg", audio)
    return message


def _sender_domain(sender: str | tuple[str, str] | None) -> str:
    address = sender[1] if isinstance(sender, tuple) else (sender or "")
    return address.rstrip(">").rpartition("@")[2] or "voicebox.invalid"


def _recording_attachment(voicemail: Voicemail) -> tuple[bytes | None, str | None]:
    """The MP3 to attach (if wanted and small enough), and a note for the body when it is left off."""
    cfg = current_app.config
    if not cfg["MAIL_ATTACH_RECORDING"] or not voicemail.recording_url:
        return None, None
    limit = cfg["MAIL_ATTACHMENT_MAX_BYTES"]
    try:
        audio = recordings.fetch_capped(voicemail.recording_url, limit)
    except recordings.MediaError as exc:
        # The email matters more than the attachment: send it now, pointing at the link.
        log.warning("voicemail %s: not attaching the recording: %s", voicemail.id, exc)
        return None, "The recording could not be attached; use the link to listen."
    if audio is None:
        return None, f"The recording is larger than {limit / 1_000_000:g} MB, so it is not attached; use the link."
    return audio, None


def deliver(message: Message) -> dict[str, str]:
    """Send over SMTP. Returns the recipients the server refused (the others got it).

    Raises SendError when nobody got it. Honours MAIL_SUPPRESS_SEND and Flask-Mail's
    `email_dispatched` signal, like `mail.send`.
    """
    if message.has_bad_headers():
        # A line break in the subject, sender or recipients would add headers of the sender's choosing
        # (Flask-Mail's mail.send checks this; we send the bytes ourselves, so we check it here).
        raise SendError("refused: a header of the message contains a line break", permanent=True)
    state = current_app.extensions["mail"]
    if state.suppress:
        email_dispatched.send(current_app._get_current_object(), message=message)
        return {}
    sender = sanitize_address(message.sender)
    to = list(sanitize_addresses(message.send_to))
    try:
        with _smtp(state) as smtp:
            refused = smtp.sendmail(sender, to, message.as_bytes())
    except (smtplib.SMTPException, OSError) as exc:
        raise _send_error(exc) from exc
    email_dispatched.send(current_app._get_current_object(), message=message)
    return {addr: f"{code} {_text(text)}" for addr, (code, text) in refused.items()}


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


def inbound_message(text: InboundMessage) -> Message:
    """A text someone sent to a mailbox's number, forwarded by email (both parts)."""
    mailbox = text.mailbox
    context = {
        "sender": phone_display(text.from_number),
        "called": phone_display(text.to_number),
        "mailbox": mailbox.name if mailbox else "",
        "received_at": local_time(text, mailbox.timezone if mailbox else None),
        "body": text.body,
        "media_links": [recordings.media_link(text, i) for i in range(len(text.media_urls or []))],
    }
    message = Message(
        subject=f"Text from {context['sender']} for {context['mailbox']}",
        recipients=list(dict.fromkeys(e.strip() for e in (mailbox.emails if mailbox else []) if e.strip())),
        body=render_template("email/inbound.txt", **context),
        html=render_template("email/inbound.html", **context),
        extra_headers={"Auto-Submitted": "auto-generated", "X-Voicebox-Text": text.message_sid},
    )
    message.msgId = f"<text.{text.message_sid}@{_sender_domain(message.sender)}>"
    return message
