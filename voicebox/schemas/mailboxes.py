"""Mailbox and voicemail schemas."""

from __future__ import annotations

from datetime import datetime
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, EmailStr, Field, field_validator

from .common import E164, TimeZone

LANGUAGE_PATTERN = r"^[a-z]{2,3}(-[A-Za-z0-9]{2,8})*$"
Language = Field(default="en-US", max_length=16, pattern=LANGUAGE_PATTERN, examples=["en-US", "zh-CN"])
# A mailbox name goes into email headers (the subject): no line breaks or other control characters.
NAME_PATTERN = r"^[^\x00-\x1f\x7f]+$"


class MailboxIn(BaseModel):
    """A mailbox as POSTed: every field the mailbox has."""

    model_config = ConfigDict(extra="forbid")

    name: str = Field(min_length=1, max_length=120, pattern=NAME_PATTERN)
    twilio_number: E164
    forward_to: list[E164] = Field(default_factory=list, max_length=10)
    ring_mode: Literal["simultaneous", "sequential"] = "simultaneous"
    emails: list[EmailStr] = Field(min_length=1, max_length=20)
    language: str = Language
    voice: str = Field(default="alice", min_length=1, max_length=64)
    greeting: str | None = Field(default=None, max_length=1000)
    ring_timeout: int = Field(default=20, ge=5, le=120)
    screen_calls: bool = True
    enabled: bool = True
    timezone: TimeZone = "UTC"
    sms_notify: bool = False


NOT_NULL = ("name", "twilio_number", "forward_to", "ring_mode", "emails", "language", "voice")
NOT_NULL += ("ring_timeout", "screen_calls", "enabled", "timezone", "sms_notify")


class MailboxPatch(BaseModel):
    """A partial update: only the fields given change."""

    model_config = ConfigDict(extra="forbid")

    name: str | None = Field(default=None, min_length=1, max_length=120, pattern=NAME_PATTERN)
    twilio_number: E164 | None = None
    forward_to: list[E164] | None = Field(default=None, max_length=10)
    ring_mode: Literal["simultaneous", "sequential"] | None = None
    emails: list[EmailStr] | None = Field(default=None, min_length=1, max_length=20)
    language: str | None = Field(default=None, max_length=16, pattern=LANGUAGE_PATTERN)
    voice: str | None = Field(default=None, min_length=1, max_length=64)
    greeting: str | None = Field(default=None, max_length=1000)
    ring_timeout: int | None = Field(default=None, ge=5, le=120)
    screen_calls: bool | None = None
    enabled: bool | None = None
    timezone: TimeZone | None = None
    sms_notify: bool | None = None

    @field_validator(*NOT_NULL, mode="before")
    @classmethod
    def _not_null(cls, value: Any) -> Any:
        # Omitting a field leaves it alone; null would erase a value the mailbox cannot do without.
        if value is None:
            raise ValueError("must not be null (leave it out to keep the current value)")
        return value


class MailboxOut(BaseModel):
    id: int
    name: str
    twilio_number: str | None
    forward_to: list[str]
    ring_mode: str
    emails: list[str]
    language: str
    voice: str
    greeting: str | None
    ring_timeout: int
    screen_calls: bool
    enabled: bool
    timezone: str
    sms_notify: bool
    created_at: datetime


class VoicemailOut(BaseModel):
    model_config = ConfigDict(populate_by_name=True)

    id: int
    mailbox_id: int | None
    call_sid: str | None
    recording_sid: str
    from_: str | None = Field(alias="from")
    to: str | None
    duration: int | None
    recording_url: str | None
    recording_status: str | None
    transcript: str | None
    transcription_status: str | None
    notification: dict
    is_read: bool
    created_at: datetime
