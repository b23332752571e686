"""Opt-outs and what arrives by SMS: inbound texts, keyword changes, Conversations receipts."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import JSON, ForeignKey, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..extensions import Model
from .calls import NotifyState
from .mailboxes import Mailbox
from .types import UTCDateTime, utcnow


class OptOut(Model):
    """A number's current opt-out state. A row exists once the number has ever opted out or in."""

    __tablename__ = "optouts"

    number: Mapped[str] = mapped_column(String(20), primary_key=True)
    opted_out: Mapped[bool] = mapped_column(default=True)
    source: Mapped[str] = mapped_column(String(32))  # keyword | 21610 | api | conversations
    changed_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class OptOutEvent(Model):
    """History: every opt-out and opt-in, when and how."""

    __tablename__ = "optout_events"

    id: Mapped[int] = mapped_column(primary_key=True)
    number: Mapped[str] = mapped_column(String(20), index=True)
    action: Mapped[str] = mapped_column(String(16))  # opt_out | opt_in
    source: Mapped[str] = mapped_column(String(32))
    detail: Mapped[str | None] = mapped_column(String(200))  # keyword, MessageSid, API note
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class InboundMessage(Model):
    """A text someone sent to one of our numbers, keyed by MessageSid."""

    __tablename__ = "inbound_messages"

    id: Mapped[int] = mapped_column(primary_key=True)
    message_sid: Mapped[str] = mapped_column(String(64), unique=True)
    from_number: Mapped[str] = mapped_column(String(64))
    to_number: Mapped[str] = mapped_column(String(20))
    body: Mapped[str] = mapped_column(Text, default="")
    media_urls: Mapped[list[str]] = mapped_column(JSON, default=list)
    keyword: Mapped[str | None] = mapped_column(String(16))  # the opt-out/in/help keyword, if any
    mailbox_id: Mapped[int | None] = mapped_column(ForeignKey("mailboxes.id", ondelete="SET NULL"), index=True)
    notify_state: Mapped[str] = mapped_column(String(16), default=NotifyState.NONE, index=True)
    notify_error: Mapped[str | None] = mapped_column(Text)
    notify_attempts: Mapped[int] = mapped_column(default=0)
    notify_claimed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    notified_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, index=True)

    mailbox: Mapped[Mailbox | None] = relationship()


class ConversationParticipant(Model):
    """Conversations participant -> phone address, learnt from onParticipantAdded (for 21610 opt-outs)."""

    __tablename__ = "conversation_participants"

    participant_sid: Mapped[str] = mapped_column(String(64), primary_key=True)
    conversation_sid: Mapped[str] = mapped_column(String(64))
    address: Mapped[str | None] = mapped_column(String(64))


class DeliveryReceipt(Model):
    """A Conversations delivery receipt; its status follows the same precedence as message statuses."""

    __tablename__ = "delivery_receipts"

    id: Mapped[int] = mapped_column(primary_key=True)
    receipt_sid: Mapped[str] = mapped_column(String(64), unique=True)
    conversation_sid: Mapped[str] = mapped_column(String(64), index=True)
    message_sid: Mapped[str] = mapped_column(String(64), index=True)
    participant_sid: Mapped[str | None] = mapped_column(String(64))
    status: Mapped[str] = mapped_column(String(32))
    error_code: Mapped[str | None] = mapped_column(String(16))
    raw: Mapped[dict] = mapped_column(JSON, default=dict)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)
