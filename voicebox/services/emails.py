"""Composing emails (voicemails, forwarded texts) from rows and templates/email/; sending is mail_transport's."""

from __future__ import annotations

import logging
from dataclasses import dataclass, field

from flask import current_app, render_template
from flask_babel import gettext

from ..i18n import in_language, local_time
from ..models import InboundMessage, Voicemail
from . import recordings
from .voicemail_summary import email_subject, phone_display, summarize

log = logging.getLogger(__name__)

# RFC 3834: keeps out-of-office replies away from the sender address.
AUTO_SUBMITTED = {"Auto-Submitted": "auto-generated"}


@dataclass(frozen=True)
class Attachment:
    filename: str
    content_type: str
    data: bytes


@dataclass(frozen=True)
class Email:
    """A composed email, not tied to any transport.

    `id_key` is the left part of a stable Message-ID (the transport adds the sender's domain): if a
    crash makes us send twice, mail clients can fold the copies.
    """

    subject: str
    recipients: list[str]
    text: str
    html: str
    headers: dict[str, str]
    id_key: str
    attachments: list[Attachment] = field(default_factory=list)


def recipients(voicemail: Voicemail) -> list[str]:
    """The mailbox's email addresses, each once."""
    emails = voicemail.mailbox.emails if voicemail.mailbox else []
    return list(dict.fromkeys(e.strip() for e in emails if e and e.strip()))


def voicemail_email(voicemail: Voicemail) -> Email:
    """The notification email in the mailbox's language: both parts, headers, and the MP3 when
    MAIL_ATTACH_RECORDING is on."""
    with in_language(voicemail.mailbox.language if voicemail.mailbox else None) as locale:
        return _voicemail_email(voicemail, locale.language)


def _voicemail_email(voicemail: Voicemail, lang: str) -> Email:
    summary = summarize(voicemail)
    audio, attachment_note = _recording_attachment(voicemail)
    context = {
        "vm": summary,
        "lang": lang,
        "transcript_note": transcript_note(voicemail),
        "listen_url": recordings.listen_url(voicemail),
        "link_days": current_app.config["LISTEN_LINK_MAX_AGE_DAYS"],
        "attachment_note": attachment_note,
    }
    return Email(
        subject=email_subject(summary),
        recipients=recipients(voicemail),
        text=render_template("email/voicemail.txt", **context),
        html=render_template("email/voicemail.html", **context),
        headers=AUTO_SUBMITTED | {"X-Voicebox-Voicemail": str(voicemail.id)},
        id_key=f"voicemail.{voicemail.recording_sid}",
        attachments=[] if audio is None else [Attachment(f"voicemail-{voicemail.id}.mp3", "audio/mpeg", audio)],
    )


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
        return None, gettext("The recording could not be attached; use the link to listen.")
    if audio is None:
        size = f"{limit / 1_000_000:g}"
        return None, gettext(
            "The recording is larger than %(size)s MB, so it is not attached; use the link.", size=size
        )
    return audio, None


# Keyword texts are forwarded like any other (the sender may have meant "Yes" or "Cancel" as a reply),
# marked with what the keyword did.
KEYWORD_LABELS = {"stop": "opt-out keyword", "start": "opt-in keyword", "help": "help keyword"}
KEYWORD_NOTES = {
    "stop": "This text is an opt-out keyword: this number gets no more texts from us until it sends START.",
    "start": "This text is an opt-in keyword: this number can be texted again.",
    "help": "This text is a help keyword (HELP or INFO); it did not change whether we may text this number.",
}


def transcript_note(voicemail: Voicemail) -> str:
    """What the email says in place of a missing transcript."""
    if voicemail.transcription_status == "off":
        return gettext("Transcription is off for this mailbox.")
    return gettext("Transcript unavailable.")


def inbound_email(text: InboundMessage) -> Email:
    """A text someone sent to a mailbox's number, forwarded by email (both parts) in the mailbox's language."""
    with in_language(text.mailbox.language if text.mailbox else None) as locale:
        return _inbound_email(text, locale.language)


def _inbound_email(text: InboundMessage, lang: str) -> Email:
    mailbox = text.mailbox
    context = {
        "lang": lang,
        "sender": phone_display(text.from_number),
        "called": phone_display(text.to_number),
        "mailbox": mailbox.name if mailbox else "",
        "received_at": local_time(
            text.created_at, mailbox.timezone if mailbox else None, mailbox.language if mailbox else None
        ),
        "body": text.body,
        "media_links": [recordings.media_link(text, i) for i in range(len(text.media_urls or []))],
        "keyword": KEYWORD_NOTES.get(text.keyword or ""),
    }
    marker = f" ({KEYWORD_LABELS[text.keyword]})" if text.keyword in KEYWORD_LABELS else ""
    return Email(
        subject=gettext("Text from %(sender)s for %(mailbox)s", sender=context["sender"], mailbox=context["mailbox"])
        + marker,
        recipients=list(dict.fromkeys(e.strip() for e in (mailbox.emails if mailbox else []) if e.strip())),
        text=render_template("email/inbound.txt", **context),
        html=render_template("email/inbound.html", **context),
        headers=AUTO_SUBMITTED | {"X-Voicebox-Text": text.message_sid},
        id_key=f"text.{text.message_sid}",
    )
