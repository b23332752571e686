"""Screened simultaneous ringing: one outbound leg per phone, the caller waiting in a queue."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum

from sqlalchemy import ForeignKey, String
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..extensions import Model
from .types import UTCDateTime, utcnow


class RingState(StrEnum):
    """Where a ring group stands. Only RINGING moves, and only once (a conditional UPDATE)."""

    RINGING = "ringing"
    ACCEPTED = "accepted"  # a callee pressed 1 and is bridged to the caller
    OVER = "over"  # nobody accepted in time, or every leg failed or declined: the caller moves on
    CALLER_GONE = "caller_gone"  # the caller hung up while the phones rang


class LegStatus(StrEnum):
    """A leg's status: Twilio's call statuses, plus ours before it exists and after a decline."""

    PENDING = "pending"  # not created through the REST API yet
    QUEUED = "queued"
    INITIATED = "initiated"
    RINGING = "ringing"
    IN_PROGRESS = "in-progress"
    DECLINED = "declined"  # answered, but pressed another key or nothing (a machine)
    COMPLETED = "completed"
    BUSY = "busy"
    NO_ANSWER = "no-answer"
    FAILED = "failed"
    CANCELED = "canceled"


FINAL_LEG_STATUSES = frozenset(
    {LegStatus.DECLINED, LegStatus.COMPLETED, LegStatus.BUSY, LegStatus.NO_ANSWER, LegStatus.FAILED, LegStatus.CANCELED}
)


class Ring(Model):
    """One screened simultaneous ring group of one call: (CallSid, attempt) rings once."""

    __tablename__ = "rings"

    id: Mapped[int] = mapped_column(primary_key=True)
    ring_key: Mapped[str] = mapped_column(String(80), unique=True)  # "<CallSid>:<attempt>"
    call_sid: Mapped[str] = mapped_column(String(64), index=True)
    attempt: Mapped[int] = mapped_column(default=0)
    from_number: Mapped[str] = mapped_column(String(20))  # our Twilio number: the legs' caller ID
    callback_base: Mapped[str] = mapped_column(String(300))  # where Twilio reaches us (jobs have no request)
    timeout_seconds: Mapped[int] = mapped_column(default=20)
    state: Mapped[str] = mapped_column(String(16), default=RingState.RINGING, index=True)
    accepted_leg_sid: Mapped[str | None] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)

    legs: Mapped[list[RingLeg]] = relationship(
        back_populates="ring", cascade="all, delete-orphan", order_by="RingLeg.id"
    )

    @property
    def queue_name(self) -> str:
        """The <Enqueue> queue the caller waits in (Twilio allows 64 characters)."""
        return f"voicebox-{self.call_sid}-{self.attempt}"


class RingLeg(Model):
    """One outbound call to one target phone of a ring group."""

    __tablename__ = "ring_legs"

    id: Mapped[int] = mapped_column(primary_key=True)
    ring_id: Mapped[int] = mapped_column(ForeignKey("rings.id", ondelete="CASCADE"), index=True)
    number: Mapped[str] = mapped_column(String(20))
    leg_sid: Mapped[str | None] = mapped_column(String(64), unique=True)
    status: Mapped[str] = mapped_column(String(16), default=LegStatus.PENDING)
    answered: Mapped[bool] = mapped_column(default=False)
    error: Mapped[str | None] = mapped_column(String(300))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)

    ring: Mapped[Ring] = relationship(back_populates="legs")
