"""Outgoing texts: validate, store, route by Twilio's scheduling window, and list.

Routing of one message (the window is [TWILIO_SCHEDULE_MIN_SECONDS, TWILIO_SCHEDULE_MAX_DAYS] ahead):
- no send_at, or closer than the window's start: we send it ourselves at its time (status queued);
- inside the window: hand it to Twilio Message Scheduling at once (pending, then scheduled);
- beyond the window: pending in our database until it enters the window, then handed to Twilio.
`Message.due_at` says when our scheduler owes the row work; `services.delivery` does that work (and every cancel).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum

from flask import current_app
from sqlalchemy import Select, select
from sqlalchemy.orm import selectinload

from ..extensions import db
from ..models import OWED_STATUSES, Message, MessageEvent, MessageStatus, utcnow
from ..schemas.common import normalise_e164
from ..schemas.messages import MessageIn
from ..twilio_client import NOT_CONFIGURED, configured
from . import optouts

# A send_at this little in the past is "now" (clock skew, a slow client), not an error.
SEND_AT_GRACE = timedelta(seconds=60)
# Hand a far-future message to Twilio this long after it enters the window, never right on the edge.
HANDOFF_LEAD = timedelta(minutes=10)


class InvalidInput(ValueError):
    """Input that passed the schema but not a rule that needs the clock or settings; names the field."""

    def __init__(self, field: str, message: str) -> None:
        super().__init__(f"{field}: {message}")
        self.field, self.message = field, message


class NotConfigured(RuntimeError):
    """Texts need settings this deployment lacks."""


class RecipientOptedOut(Exception):
    """The recipient texted STOP (or Twilio said 21610): nothing more may be sent to them."""

    def __init__(self, number: str) -> None:
        super().__init__(f"{number} has opted out of texts (replied STOP); they must text START to opt back in")
        self.number = number


class Route(StrEnum):
    SEND = "send"  # we send it now
    WAIT_SEND = "wait_send"  # too close for Twilio's scheduler: we send it at send_at
    HANDOFF = "handoff"  # inside the window: hand it to Twilio now, with SendAt
    WAIT_HANDOFF = "wait_handoff"  # beyond the window: hand it off when it enters


@dataclass(frozen=True)
class Plan:
    route: Route
    due_at: datetime  # when we act on it

    @property
    def status(self) -> MessageStatus:
        return MessageStatus.QUEUED if self.route in (Route.SEND, Route.WAIT_SEND) else MessageStatus.PENDING


def plan(send_at: datetime | None, now: datetime) -> Plan:
    """Route a message by how far ahead `send_at` is, as seen at `now`."""
    cfg = current_app.config
    window_start = timedelta(seconds=cfg["TWILIO_SCHEDULE_MIN_SECONDS"])
    window_end = timedelta(days=cfg["TWILIO_SCHEDULE_MAX_DAYS"])
    if send_at is None or send_at <= now:
        return Plan(Route.SEND, now)
    ahead = send_at - now
    if ahead < window_start:
        return Plan(Route.WAIT_SEND, send_at)
    if ahead <= window_end:
        return Plan(Route.HANDOFF, now)
    return Plan(Route.WAIT_HANDOFF, max(send_at - window_end + HANDOFF_LEAD, now))


def require_sms_settings() -> str:
    """The messaging service SID; raises NotConfigured naming what is missing."""
    cfg = current_app.config
    if not configured():
        raise NotConfigured(NOT_CONFIGURED)
    missing = [name for name in ("TWILIO_MESSAGING_SERVICE_SID", "PUBLIC_BASE_URL") if not cfg.get(name)]
    if missing:
        raise NotConfigured(f"texts need the setting(s) {', '.join(missing)}")
    return cfg["TWILIO_MESSAGING_SERVICE_SID"]


def check_send_at(send_at: datetime | None, now: datetime, field: str = "send_at") -> datetime | None:
    """Refuse a time in the past (beyond a small grace) or beyond SCHEDULE_MAX_HORIZON_DAYS."""
    if send_at is None:
        return None
    if send_at < now - SEND_AT_GRACE:
        raise InvalidInput(field, f"is in the past ({send_at.isoformat()} is before now, {now.isoformat()})")
    horizon = current_app.config["SCHEDULE_MAX_HORIZON_DAYS"]
    if send_at > now + timedelta(days=horizon):
        raise InvalidInput(field, f"is more than {horizon} days ahead")
    return send_at if send_at > now else None


def add_event(message: Message, kind: str, detail: str | None = None, **fields) -> None:
    """Append to the message's history (the caller commits)."""
    db.session.add(MessageEvent(message=message, twilio_sid=message.twilio_sid, kind=kind, detail=detail, **fields))


def new_message(
    to: str, body: str, media_urls: list[str], send_at: datetime | None, now: datetime, **links: int
) -> Message:
    """Add a routed message to the session (the caller commits). `links` ties it to a sequence step."""
    service_sid = require_sms_settings()
    if optouts.is_opted_out(to):
        raise RecipientOptedOut(to)
    route = plan(send_at, now)
    message = Message(
        to_number=to,
        body=body,
        media_urls=list(media_urls),
        send_at=send_at,
        status=route.status,
        due_at=route.due_at,
        messaging_service_sid=service_sid,
        **links,
    )
    db.session.add(message)
    add_event(message, "created", f"route: {route.route}", status=route.status)
    return message


def create_message(data: MessageIn) -> Message:
    """Store one text from the API or CLI; the caller then kicks its delivery (jobs.messages.kick)."""
    now = utcnow()
    send_at = check_send_at(data.send_at, now)
    message = new_message(data.to, data.body, data.media_urls, send_at, now)
    db.session.commit()
    return message


def get_message(message_id: int) -> Message | None:
    return db.session.get(Message, message_id)


def list_messages(
    status: str | None = None, to: str | None = None, sequence_id: int | None = None, limit: int = 100
) -> list[Message]:
    """Messages, newest first, filtered by status, recipient and sequence."""
    query: Select = select(Message)
    if status is not None:
        if status not in set(MessageStatus):
            raise InvalidInput("status", f"must be one of {', '.join(MessageStatus)}")
        query = query.where(Message.status == status)
    if to is not None:
        try:
            query = query.where(Message.to_number == normalise_e164(to))
        except ValueError as exc:
            raise InvalidInput("to", str(exc)) from exc
    if sequence_id is not None:
        query = query.where(Message.sequence_id == sequence_id)
    query = query.options(selectinload(Message.events)).order_by(Message.id.desc()).limit(limit)
    return list(db.session.scalars(query))


def due_messages(now: datetime, limit: int) -> list[tuple[int, datetime]]:
    """(id, due_at) of rows our scheduler owes work at `now`, oldest first; reads only due rows, by index."""
    query = (
        select(Message.id, Message.due_at)
        .where(Message.status.in_(OWED_STATUSES), Message.due_at <= now)
        .order_by(Message.due_at)
        .limit(limit)
    )
    return [(row.id, row.due_at) for row in db.session.execute(query)]
