"""Outgoing texts, their history, and the drip sequences that create them."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from typing import Any

from sqlalchemy import JSON, ForeignKey, Index, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..extensions import Model
from .types import UTCDateTime, utcnow


class MessageStatus(StrEnum):
    """Where a text stands. The first four are ours; the rest are Twilio's words for its states."""

    PENDING = "pending"  # beyond Twilio's scheduling window: waits in our database for the hand-off
    QUEUED = "queued"  # we send it ourselves (now or at send_at); with a twilio_sid: queued at Twilio
    SCHEDULED = "scheduled"  # handed to Twilio Message Scheduling; twilio_sid is set
    SENDING = "sending"  # without a twilio_sid: a worker is talking to Twilio right now (a claim)
    SENT = "sent"
    DELIVERED = "delivered"
    UNDELIVERED = "undelivered"
    FAILED = "failed"
    CANCELED = "canceled"


# Sent or later: past cancelling, at Twilio and here (services.statuses.SETTLED is the ladder's top).
UNCANCELABLE_STATUSES = frozenset(
    {
        MessageStatus.SENT,
        MessageStatus.DELIVERED,
        MessageStatus.UNDELIVERED,
        MessageStatus.FAILED,
        MessageStatus.CANCELED,
    }
)
# Statuses in which our scheduler may still owe the row work (see Message.due_at).
OWED_STATUSES = (MessageStatus.PENDING, MessageStatus.QUEUED, MessageStatus.SENDING, MessageStatus.SCHEDULED)


class Message(Model):
    """One outgoing SMS/MMS. The database row is the truth; RQ jobs only make it happen on time."""

    __tablename__ = "messages"
    __table_args__ = (
        # The reconciliation sweep reads `status IN (...) AND due_at <= now`: only due rows, by index.
        Index("ix_messages_status_due_at", "status", "due_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    to_number: Mapped[str] = mapped_column(String(20), index=True)
    body: Mapped[str] = mapped_column(Text)
    media_urls: Mapped[list[str]] = mapped_column(JSON, default=list)
    # When the text should reach the phone (UTC); None means as soon as possible.
    send_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    status: Mapped[str] = mapped_column(String(32), default=MessageStatus.PENDING)
    messaging_service_sid: Mapped[str | None] = mapped_column(String(34))
    twilio_sid: Mapped[str | None] = mapped_column(String(34), unique=True)
    # When our scheduler owes this row work (hand-off, our own send, a claim's lease running out, or a
    # cancel at Twilio); NULL once nothing is owed, so the sweep never reads settled rows.
    due_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # A worker's claim: a random token, so a worker whose lease ran out cannot overwrite a newer claim.
    claim_token: Mapped[str | None] = mapped_column(String(32))
    attempts: Mapped[int] = mapped_column(default=0)
    cancel_requested_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    error_code: Mapped[str | None] = mapped_column(String(16))
    error_message: Mapped[str | None] = mapped_column(Text)
    error_more_info: Mapped[str | None] = mapped_column(String(500))
    sequence_id: Mapped[int | None] = mapped_column(ForeignKey("sequences.id", ondelete="SET NULL"), index=True)
    enrollment_id: Mapped[int | None] = mapped_column(ForeignKey("enrollments.id", ondelete="SET NULL"), index=True)
    step_id: Mapped[int | None] = mapped_column(ForeignKey("sequence_steps.id", ondelete="SET NULL"))
    handed_off_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)

    events: Mapped[list[MessageEvent]] = relationship(
        back_populates="message", order_by="MessageEvent.id", passive_deletes=True
    )


class MessageEvent(Model):
    """Something that happened to a message: our routing steps, Twilio's answers, later its callbacks.

    `message_id` may be NULL: a status callback can name a MessageSid we do not know.
    """

    __tablename__ = "message_events"

    id: Mapped[int] = mapped_column(primary_key=True)
    message_id: Mapped[int | None] = mapped_column(ForeignKey("messages.id", ondelete="CASCADE"), index=True)
    twilio_sid: Mapped[str | None] = mapped_column(String(34), index=True)
    kind: Mapped[str] = mapped_column(String(32))
    status: Mapped[str | None] = mapped_column(String(32))
    error_code: Mapped[str | None] = mapped_column(String(16))
    detail: Mapped[str | None] = mapped_column(Text)
    params: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    message: Mapped[Message | None] = relationship(back_populates="events")


class Sequence(Model):
    """A drip: steps sent at offsets from each enrollment's anchor, optionally outside quiet hours."""

    __tablename__ = "sequences"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(120), unique=True)
    # Local "HH:MM" bounds, start inclusive, end exclusive; the range may wrap midnight.
    quiet_start: Mapped[str | None] = mapped_column(String(5))
    quiet_end: Mapped[str | None] = mapped_column(String(5))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    steps: Mapped[list[SequenceStep]] = relationship(
        back_populates="sequence", cascade="all, delete-orphan", order_by="SequenceStep.position"
    )


class SequenceStep(Model):
    """One text of a sequence: `offset_days` calendar days after the anchor at local `at`, plus minutes."""

    __tablename__ = "sequence_steps"

    id: Mapped[int] = mapped_column(primary_key=True)
    sequence_id: Mapped[int] = mapped_column(ForeignKey("sequences.id", ondelete="CASCADE"), index=True)
    position: Mapped[int] = mapped_column(default=0)
    offset_days: Mapped[int] = mapped_column(default=0)
    offset_minutes: Mapped[int] = mapped_column(default=0)
    at: Mapped[str | None] = mapped_column(String(5))  # local "HH:MM"; None: the anchor's own time
    body: Mapped[str] = mapped_column(Text)
    media_urls: Mapped[list[str]] = mapped_column(JSON, default=list)

    sequence: Mapped[Sequence] = relationship(back_populates="steps")


class EnrollmentStatus(StrEnum):
    ACTIVE = "active"
    CANCELED = "canceled"


class Enrollment(Model):
    """One recipient enrolled in a sequence; it owns one message per step."""

    __tablename__ = "enrollments"

    id: Mapped[int] = mapped_column(primary_key=True)
    sequence_id: Mapped[int] = mapped_column(ForeignKey("sequences.id", ondelete="CASCADE"), index=True)
    to_number: Mapped[str] = mapped_column(String(20), index=True)
    anchor: Mapped[str] = mapped_column(String(40))  # as given: a date or a datetime, ISO-8601
    timezone: Mapped[str] = mapped_column(String(64))
    status: Mapped[str] = mapped_column(String(16), default=EnrollmentStatus.ACTIVE)
    canceled_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    sequence: Mapped[Sequence] = relationship()
    messages: Mapped[list[Message]] = relationship(order_by="Message.id", foreign_keys=[Message.enrollment_id])
