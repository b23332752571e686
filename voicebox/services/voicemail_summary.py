"""How a voicemail is described to people, in the email and in the SMS copy."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import phonenumbers
from flask_babel import gettext

from ..i18n import local_time
from ..models import Voicemail

SMS_TRANSCRIPT_CHARS = 100


@dataclass(frozen=True)
class Summary:
    """A voicemail's facts, formatted for reading."""

    caller: str  # "+1 415-867-5309", or "an unknown caller"
    called: str
    mailbox: str
    received_at: str  # in the mailbox's time zone and its language's format
    duration: str  # "0:42"
    transcript: str | None  # None: the transcript is unavailable


def phone_display(raw: str | None) -> str:
    """A number in international format; Twilio's stand-ins for hidden numbers read as unknown."""
    try:
        parsed = phonenumbers.parse(raw or "", None)
    except phonenumbers.NumberParseException:
        return gettext("an unknown caller")
    # Withheld numbers arrive as "+266696687", "+7378742833", "Anonymous", "Restricted"...: none is possible.
    if not phonenumbers.is_possible_number(parsed):
        return gettext("an unknown caller")
    return phonenumbers.format_number(parsed, phonenumbers.PhoneNumberFormat.INTERNATIONAL)


def duration_display(seconds: int | None) -> str:
    """m:ss, or h:mm:ss from an hour up."""
    minutes, secs = divmod(max(seconds or 0, 0), 60)
    hours, minutes = divmod(minutes, 60)
    return f"{hours}:{minutes:02d}:{secs:02d}" if hours else f"{minutes}:{secs:02d}"


def format_local(when: datetime, timezone: str | None) -> str:
    """A moment in `timezone` (UTC when unknown), e.g. "Tue 3 Mar 2026, 14:05 PST"."""
    try:
        zone = ZoneInfo(timezone or "UTC")
    except (ZoneInfoNotFoundError, ValueError):
        zone = ZoneInfo("UTC")
    moment = when.astimezone(zone)
    return f"{moment:%a} {moment.day} {moment:%b %Y, %H:%M %Z}"


def summarize(voicemail: Voicemail) -> Summary:
    """The voicemail's facts for an email or text."""
    mailbox = voicemail.mailbox
    transcript = (voicemail.transcript or "").strip()
    return Summary(
        caller=phone_display(voicemail.from_number),
        called=phone_display(voicemail.to_number),
        mailbox=mailbox.name if mailbox else "",
        received_at=local_time(
            voicemail.created_at, mailbox.timezone if mailbox else None, mailbox.language if mailbox else None
        ),
        duration=duration_display(voicemail.duration),
        transcript=transcript or None,
    )


def email_subject(summary: Summary) -> str:
    """E.g. "New voicemail from +1 415-867-5309 for Support (0:42)", in the current language."""
    return gettext(
        "New voicemail from %(caller)s for %(mailbox)s (%(duration)s)",
        caller=summary.caller,
        mailbox=summary.mailbox,
        duration=summary.duration,
    )


def sms_text(summary: Summary) -> str:
    """The SMS copy in the current language: who, how long, and the start of the transcript."""
    head = gettext("New voicemail from %(caller)s (%(duration)s)", caller=summary.caller, duration=summary.duration)
    if not summary.transcript:
        return gettext("%(head)s. Transcript unavailable; see your email.", head=head)
    text = " ".join(summary.transcript.split())
    if len(text) > SMS_TRANSCRIPT_CHARS:
        text = text[: SMS_TRANSCRIPT_CHARS - 1].rstrip() + "…"
    return f"{head}: {text}"
