"""Emails kept on this machine when MAIL_SERVER is unset (local try-out mode), so none is lost.

They go into a Maildir (Python's `mailbox`) in the instance folder, which the web process and the
worker share: the worker keeps each email there instead of sending it, and the web pages can list
them with `recent()`. Any mail reader can open the folder too (e.g. `mutt -f instance/outbox`).
"""

from __future__ import annotations

import mailbox
import os
from dataclasses import dataclass
from datetime import datetime
from email import message_from_bytes, policy
from email.utils import parsedate_to_datetime

from flask import current_app

FOLDER = "outbox"


@dataclass(frozen=True)
class KeptEmail:
    """One email kept instead of sent."""

    key: str  # the Maildir key: stable, usable in a URL
    kept_at: datetime | None  # the Date: header, aware
    recipients: tuple[str, ...]
    subject: str
    text: str  # the plain-text part


def folder() -> str:
    """Where kept emails live: instance/outbox."""
    return os.path.join(current_app.instance_path, FOLDER)


def keep(raw: bytes) -> str:
    """Store one composed email (RFC 5322 bytes); returns its key. Safe across processes (Maildir)."""
    return mailbox.Maildir(folder(), create=True).add(raw)


def recent(limit: int = 50) -> list[KeptEmail]:
    """The newest kept emails first (none when the folder does not exist yet)."""
    if not os.path.isdir(folder()):
        return []
    box = mailbox.Maildir(folder(), create=False)
    kept = [_read(key, box.get_bytes(key)) for key in box.iterkeys()]
    kept.sort(key=lambda e: e.kept_at.timestamp() if e.kept_at else 0, reverse=True)
    return kept[:limit]


def _read(key: str, raw: bytes) -> KeptEmail:
    message = message_from_bytes(raw, policy=policy.default)
    recipients = tuple(a.strip() for a in str(message.get("To", "")).split(",") if a.strip())
    body = message.get_body(preferencelist=("plain",))
    date = message.get("Date")
    return KeptEmail(
        key=key,
        kept_at=parsedate_to_datetime(str(date)) if date else None,
        recipients=recipients,
        subject=str(message.get("Subject", "")),
        text=body.get_content() if body is not None else "",
    )
