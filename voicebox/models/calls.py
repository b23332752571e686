"""Calls and the voicemails they leave."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum

from sqlalchemy import ForeignKey, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..extensions import Model
from .mailboxes import Mailbox
from .types import UTCDateTime, utcnow


class Call(Model):
    """One inbound call, keyed by Twilio's CallSid."""

    __tablename__ = "calls"

    id: Mapped[int] = mapped_column(primary_key=True)
    call_sid: Mapped[str] = mapped_column(String(64), unique=True)
    from_number: Mapped[str] = mapped_column(String(64), default="")
    to_number: Mapped[str] = mapped_column(String(20), default="")
    mailbox_id: Mapped[int | None] = mapped_column(ForeignKey("mailboxes.id", ondelete="SET NULL"), index=True)
    # The last DialCallStatus Twilio reported, and which ring group (0-based) it was for.
    dial_status: Mapped[str | None] = mapped_column(String(32))
    dial_attempt: Mapped[int] = mapped_column(default=0)
    # The ring group (0-based) now ringing, and the last one in which a screened leg declined
    # (pressed another key, or nothing: an answering machine). A <Dial> that ends "completed" with
    # a decline in its group moves on to the next group; without one the caller pressed *.
    ringing_attempt: Mapped[int] = mapped_column(default=0)
    declined_attempt: Mapped[int | None] = mapped_column()
    # True once a forwarded leg pressed 1 at the screening prompt.
    screen_accepted: Mapped[bool] = mapped_column(default=False)
    accepted_by: Mapped[str | None] = mapped_column(String(20))
    went_to_voicemail: Mapped[bool] = mapped_column(default=False)
    # When Twilio's Real-Time Transcription of this call reported transcription-stopped (or -error).
    live_transcription_stopped_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    live_transcription_error: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)

    mailbox: Mapped[Mailbox | None] = relationship()


class NotifyState(StrEnum):
    """Where a voicemail's email notification stands."""

    NONE = "none"  # no completed recording yet (e.g. the transcription came first)
    PENDING = "pending"  # to be sent; a job or the sweep will pick it up
    SENDING = "sending"  # a worker has claimed it
    SENT = "sent"
    FAILED = "failed"  # permanent failure; notify_error says why
    SKIPPED = "skipped"  # absent, empty or too short: nothing to tell anyone


class Voicemail(Model):
    """A recording left on a call, keyed by RecordingSid, with its transcript."""

    __tablename__ = "voicemails"

    id: Mapped[int] = mapped_column(primary_key=True)
    recording_sid: Mapped[str] = mapped_column(String(64), unique=True)
    call_sid: Mapped[str | None] = mapped_column(String(64), index=True)
    mailbox_id: Mapped[int | None] = mapped_column(ForeignKey("mailboxes.id", ondelete="SET NULL"), index=True)
    from_number: Mapped[str | None] = mapped_column(String(64))
    to_number: Mapped[str | None] = mapped_column(String(20))
    recording_url: Mapped[str | None] = mapped_column(String(500))
    duration: Mapped[int | None] = mapped_column()
    recording_status: Mapped[str | None] = mapped_column(String(32))
    recording_error_code: Mapped[str | None] = mapped_column(String(16))
    transcription_sid: Mapped[str | None] = mapped_column(String(64))
    transcript: Mapped[str | None] = mapped_column(Text)
    transcription_status: Mapped[str | None] = mapped_column(String(32))
    # Which engine made (or is making) the transcript, the language it was asked for, and why it failed.
    transcription_engine: Mapped[str | None] = mapped_column(String(20))
    transcript_language: Mapped[str | None] = mapped_column(String(16))
    transcription_error: Mapped[str | None] = mapped_column(Text)
    notify_state: Mapped[str] = mapped_column(String(16), default=NotifyState.NONE, index=True)
    notify_error: Mapped[str | None] = mapped_column(Text)
    notify_attempts: Mapped[int] = mapped_column(default=0)
    notify_claimed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    notified_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # The optional SMS copy to the forward numbers has its own state, so a failed text never
    # re-sends the email and a retried email never re-sends the text (same NotifyState values).
    sms_state: Mapped[str] = mapped_column(String(16), default=NotifyState.NONE, index=True)
    sms_error: Mapped[str | None] = mapped_column(Text)
    sms_claimed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    is_read: Mapped[bool] = mapped_column(default=False)
    is_deleted: Mapped[bool] = mapped_column(default=False)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, index=True)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)

    mailbox: Mapped[Mailbox | None] = relationship()


class Utterance(Model):
    """One transcription-content event of a call's Real-Time Transcription.

    Twilio may repeat an event or deliver events out of order, so each is stored once under its
    TranscriptionSid and SequenceId (`event_key`), and the transcript is assembled afterwards from
    the final utterances in sequence order.
    """

    __tablename__ = "utterances"

    id: Mapped[int] = mapped_column(primary_key=True)
    event_key: Mapped[str] = mapped_column(String(100), unique=True)  # "<TranscriptionSid>:<SequenceId>"
    call_sid: Mapped[str] = mapped_column(String(64), index=True)
    transcription_sid: Mapped[str] = mapped_column(String(64))
    sequence_id: Mapped[int] = mapped_column()
    track: Mapped[str | None] = mapped_column(String(32))
    final: Mapped[bool] = mapped_column(default=True)
    text: Mapped[str] = mapped_column(Text, default="")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
