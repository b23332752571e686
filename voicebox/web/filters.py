"""Jinja filters for the pages: numbers, times in a mailbox's zone, durations."""

from __future__ import annotations

from datetime import datetime

import phonenumbers
from flask import Flask

from ..services.voicemail_summary import duration_display, format_local, phone_display


def dialable(raw: str | None) -> str | None:
    """E.164 for tel:/sms: links, or None for a withheld or impossible number."""
    try:
        parsed = phonenumbers.parse(raw or "", None)
    except phonenumbers.NumberParseException:
        return None
    if not phonenumbers.is_possible_number(parsed):
        return None
    return phonenumbers.format_number(parsed, phonenumbers.PhoneNumberFormat.E164)


def local(when: datetime | None, timezone: str | None = None) -> str:
    """A moment in `timezone` for reading; empty for none."""
    return format_local(when, timezone) if when is not None else ""


def register(app: Flask) -> None:
    app.add_template_filter(phone_display, "phone")
    app.add_template_filter(dialable, "dialable")
    app.add_template_filter(local, "local")
    app.add_template_filter(duration_display, "duration")
