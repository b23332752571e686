"""Inbound texts: every text is kept and forwarded by email; keywords also change opt-out state."""

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
    forward: bool = False  # email it to the mailbox (keywords too: on a business line they are replies)


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
    # "Yes", "Cancel" or "Info" alone is often a customer's answer, not only a keyword: forward it too.
    forward = mailbox is not None and _mark_pending(row)
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
    """Our own answer to START or HELP, only when SMS_KEYWORD_REPLIES is on.

    Twilio's default opt-out handling already answers STOP, START and HELP on US and Canadian long
    codes (and toll-free carriers answer STOP themselves), so by default we stay silent rather than
    send a second reply. STOP is never answered: the number is blocked by then, so it would fail (21610).
    """
    if keyword in (None, "stop") or opt_out_type or not current_app.config["SMS_KEYWORD_REPLIES"]:
        return None
    cfg = current_app.config
    return {"start": cfg["SMS_START_TEXT"], "help": cfg["SMS_HELP_TEXT"]}[keyword]
