"""Inbound texts: keywords change opt-out state; anything else is kept and forwarded by email."""

from __future__ import annotations

from dataclasses import dataclass, field

from flask import current_app
from sqlalchemy import select, update

from ..extensions import db
from ..models import NotifyState
from ..models.optouts import InboundMessage
from ..rows import insert_ignore, rowcount
from . import optouts
from .calls import find_mailbox


@dataclass(frozen=True)
class InboundText:
    """The fields of Twilio's inbound SMS webhook that we use."""

    message_sid: str
    from_number: str
    to_number: str
    body: str
    media_urls: list[str] = field(default_factory=list)
    opt_out_type: str | None = None  # set when Twilio's (Advanced) Opt-Out already handled it


@dataclass(frozen=True)
class InboundResult:
    """What the webhook should do next."""

    message_id: int
    reply: str | None  # text to answer with, if any
    opted_out_now: bool = False  # the sender just opted out: cancel what is scheduled for them
    forward: bool = False  # an ordinary text: email it to the mailbox


def receive(text: InboundText) -> InboundResult:
    """Store an inbound text once and apply its keyword; duplicates of a MessageSid change nothing."""
    # With Twilio's Advanced Opt-Out the keyword list is Twilio's (it may include custom words such
    # as ARRET), and OptOutType says which kind it was: trust it over our own reading of the body.
    keyword = text.opt_out_type.lower() if text.opt_out_type else optouts.match_keyword(text.body)
    if keyword not in (None, "stop", "start", "help"):
        keyword = optouts.match_keyword(text.body)
    mailbox = find_mailbox(text.to_number)
    new = insert_ignore(
        InboundMessage,
        {
            "message_sid": text.message_sid,
            "from_number": text.from_number,
            "to_number": text.to_number,
            "body": text.body,
            "media_urls": text.media_urls,
            "keyword": keyword,
            "mailbox_id": mailbox.id if mailbox else None,
        },
        key="message_sid",
    )
    db.session.commit()
    row = db.session.scalars(select(InboundMessage).where(InboundMessage.message_sid == text.message_sid)).one()
    opted_out_now = False
    if new and keyword in ("stop", "start"):
        source = "twilio_opt_out" if text.opt_out_type else "keyword"
        changed = optouts.set_opted_out(text.from_number, keyword == "stop", source, text.body.strip()[:200])
        opted_out_now = changed and keyword == "stop"
    forward = keyword is None and mailbox is not None and _mark_pending(row)
    return InboundResult(row.id, _reply(keyword, text.opt_out_type), opted_out_now, forward)


def _mark_pending(row: InboundMessage) -> bool:
    """Move a text's email from none to pending once (a retried webhook must not forward twice)."""
    changed = rowcount(
        update(InboundMessage)
        .where(InboundMessage.id == row.id, InboundMessage.notify_state == NotifyState.NONE)
        .values(notify_state=NotifyState.PENDING)
    )
    db.session.commit()
    return bool(changed)


def _reply(keyword: str | None, opt_out_type: str | None) -> str | None:
    # Twilio's opt-out handling has already answered when it sets OptOutType: do not reply twice.
    if keyword is None or opt_out_type:
        return None
    cfg = current_app.config
    return {"stop": cfg["SMS_STOP_TEXT"], "start": cfg["SMS_START_TEXT"], "help": cfg["SMS_HELP_TEXT"]}[keyword]
