"""Mailboxes: who a Twilio number belongs to, and where its calls ring."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum

from sqlalchemy import JSON, ForeignKey, String
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..extensions import Model
from .types import UTCDateTime, utcnow


class RingMode(StrEnum):
    SIMULTANEOUS = "simultaneous"
    SEQUENTIAL = "sequential"


class Mailbox(Model):
    __tablename__ = "mailboxes"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(120), unique=True)
    emails: Mapped[list[str]] = mapped_column(JSON, default=list)
    language: Mapped[str] = mapped_column(String(16), default="en-US")
    voice: Mapped[str] = mapped_column(String(64), default="Polly.Joanna-Neural")  # see voicebox/voices.py
    greeting: Mapped[str | None] = mapped_column(String(1000))
    ring_timeout: Mapped[int] = mapped_column(default=20)
    screen_calls: Mapped[bool] = mapped_column(default=True)
    enabled: Mapped[bool] = mapped_column(default=True)
    timezone: Mapped[str] = mapped_column(String(64), default="UTC")
    sms_notify: Mapped[bool] = mapped_column(default=False)
    # The transcription engine for this mailbox's voicemails; None follows the TRANSCRIPTION setting.
    transcription: Mapped[str | None] = mapped_column(String(20))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)

    numbers: Mapped[list[PhoneNumber]] = relationship(
        back_populates="mailbox", cascade="all, delete-orphan", order_by="PhoneNumber.id"
    )
    targets: Mapped[list[ForwardTarget]] = relationship(
        back_populates="mailbox", cascade="all, delete-orphan", order_by="ForwardTarget.position"
    )

    @property
    def ring_mode(self) -> str:
        """The mailbox's ring mode as the API shows it: sequential if any target rings alone."""
        if any(t.ring_mode == RingMode.SEQUENTIAL for t in self.targets):
            return RingMode.SEQUENTIAL
        return RingMode.SIMULTANEOUS


class PhoneNumber(Model):
    """A Twilio number (E.164) that rings one mailbox."""

    __tablename__ = "phone_numbers"

    id: Mapped[int] = mapped_column(primary_key=True)
    e164: Mapped[str] = mapped_column(String(20), unique=True)
    mailbox_id: Mapped[int] = mapped_column(ForeignKey("mailboxes.id", ondelete="CASCADE"), index=True)
    mailbox: Mapped[Mailbox] = relationship(back_populates="numbers")


class ForwardTarget(Model):
    """A real phone a mailbox's calls are forwarded to.

    Consecutive simultaneous targets ring together in one <Dial>; a sequential target rings alone.
    """

    __tablename__ = "forward_targets"

    id: Mapped[int] = mapped_column(primary_key=True)
    mailbox_id: Mapped[int] = mapped_column(ForeignKey("mailboxes.id", ondelete="CASCADE"), index=True)
    number: Mapped[str] = mapped_column(String(20))
    position: Mapped[int] = mapped_column(default=0)
    ring_mode: Mapped[str] = mapped_column(String(16), default=RingMode.SIMULTANEOUS)
    mailbox: Mapped[Mailbox] = relationship(back_populates="targets")
