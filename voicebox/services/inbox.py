"""The web inbox: voicemails and forwarded texts of the mailboxes a user reads, newest first, by page."""

from __future__ import annotations

import math
from collections.abc import Collection
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import func, select

from ..extensions import db
from ..models import InboundMessage, Mailbox
from .voicemails import count_voicemails, list_voicemails

PER_PAGE = 25


@dataclass(frozen=True)
class Entry:
    """One line of the inbox: a voicemail or a forwarded text."""

    kind: str  # "voicemail" | "text"
    id: int
    mailbox: Mailbox | None
    from_number: str | None
    created_at: datetime
    duration: int | None  # seconds; texts have none
    preview: str | None  # the transcript's (or text's) first line; None: nothing to show yet
    unread: bool


@dataclass(frozen=True)
class Page:
    entries: list[Entry]
    number: int
    pages: int
    total: int


def first_line(text: str | None) -> str | None:
    stripped = (text or "").strip()
    return stripped.splitlines()[0] if stripped else None


def _forwarded(mailbox_id: int | None, within: Collection[int] | None):
    """Texts forwarded to a mailbox: not keywords (STOP/START/HELP), addressed to a mailbox's number."""
    query = select(InboundMessage).where(InboundMessage.keyword.is_(None), InboundMessage.mailbox_id.is_not(None))
    if mailbox_id is not None:
        query = query.where(InboundMessage.mailbox_id == mailbox_id)
    if within is not None:
        query = query.where(InboundMessage.mailbox_id.in_(within))
    return query


def _text_entries(mailbox_id: int | None, within: Collection[int] | None, limit: int) -> list[Entry]:
    query = _forwarded(mailbox_id, within).order_by(InboundMessage.created_at.desc(), InboundMessage.id.desc())
    return [
        Entry("text", t.id, t.mailbox, t.from_number, t.created_at, None, first_line(t.body), False)
        for t in db.session.scalars(query.limit(limit))
    ]


def _voicemail_entries(mailbox_id: int | None, within: Collection[int] | None, limit: int) -> list[Entry]:
    return [
        Entry(
            "voicemail",
            v.id,
            v.mailbox,
            v.from_number,
            v.created_at,
            v.duration,
            first_line(v.transcript),
            not v.is_read,
        )  # fmt: skip
        for v in list_voicemails(mailbox_id, limit, within=within)
    ]


def inbox_page(
    page: int = 1, mailbox_id: int | None = None, within: Collection[int] | None = None, per_page: int = PER_PAGE
) -> Page:
    """Page `page` (from 1) of voicemails and forwarded texts, newest first.

    `within` limits to those mailboxes (None: every row, for an admin). Each source is read newest first
    up to the end of the page and merged: cheap for the pages people actually open.
    """
    total = count_voicemails(mailbox_id, within=within) + (
        db.session.scalar(select(func.count()).select_from(_forwarded(mailbox_id, within).subquery())) or 0
    )
    pages = max(1, math.ceil(total / per_page))
    page = min(max(page, 1), pages)
    end = page * per_page
    merged = _voicemail_entries(mailbox_id, within, end) + _text_entries(mailbox_id, within, end)
    merged.sort(key=lambda e: e.created_at, reverse=True)
    return Page(merged[end - per_page : end], page, pages, total)


def get_forwarded_text(text_id: int) -> InboundMessage | None:
    """One forwarded text (not a keyword), or None."""
    return db.session.scalar(_forwarded(None, None).where(InboundMessage.id == text_id))
