"""Mailbox and voicemail schemas."""

from __future__ import annotations

from datetime import datetime
from typing import Literal

from pydantic import BaseModel, ConfigDict, EmailStr, Field, ValidationInfo, field_validator

from .. import voices
from .common import E164, TimeZone

Language = Field(default="en-US", max_length=16, examples=["en-US", "zh-CN"])
VOICE_DOC = "A Twilio <Say> voice for the language (voicebox/voices.py); default: the language's neural voice."


def _language(value: str | None) -> str | None:
    """A supported language, in its canonical spelling (e.g. 'zh-cn' -> 'zh-CN')."""
    if value is None:
        return None
    language = voices.find(value)
    if language is None:
        raise ValueError(voices.voice_error(value, ""))
    return language.code


class MailboxIn(BaseModel):
    """A mailbox as POSTed: every field the mailbox has."""

    model_config = ConfigDict(extra="forbid")

    name: str = Field(min_length=1, max_length=120)
    twilio_number: E164
    forward_to: list[E164] = Field(default_factory=list, max_length=10)
    ring_mode: Literal["simultaneous", "sequential"] = "simultaneous"
    emails: list[EmailStr] = Field(min_length=1, max_length=20)
    language: str = Language
    voice: str | None = Field(default=None, min_length=1, max_length=64, description=VOICE_DOC)
    greeting: str | None = Field(default=None, max_length=1000)
    ring_timeout: int = Field(default=20, ge=5, le=120)
    screen_calls: bool = True
    enabled: bool = True
    timezone: TimeZone = "UTC"
    sms_notify: bool = False

    @field_validator("language")
    @classmethod
    def _supported_language(cls, language: str) -> str | None:
        return _language(language)

    @field_validator("voice")
    @classmethod
    def _voice_fits_language(cls, voice: str | None, info: ValidationInfo) -> str | None:
        language = info.data.get("language")
        if voice is None or language is None:  # no language: its own error is reported
            return voice
        if problem := voices.voice_error(language, voice):
            raise ValueError(problem)
        return voice

    def model_post_init(self, _context) -> None:
        if self.voice is None and (language := voices.find(self.language)):
            self.voice = language.default_voice


class MailboxPatch(BaseModel):
    """A partial update: only the fields given change."""

    model_config = ConfigDict(extra="forbid")

    name: str | None = Field(default=None, min_length=1, max_length=120)
    twilio_number: E164 | None = None
    forward_to: list[E164] | None = Field(default=None, max_length=10)
    ring_mode: Literal["simultaneous", "sequential"] | None = None
    emails: list[EmailStr] | None = Field(default=None, min_length=1, max_length=20)
    language: str | None = Field(default=None, max_length=16)
    voice: str | None = Field(default=None, min_length=1, max_length=64, description=VOICE_DOC)
    greeting: str | None = Field(default=None, max_length=1000)
    ring_timeout: int | None = Field(default=None, ge=5, le=120)
    screen_calls: bool | None = None
    enabled: bool | None = None
    timezone: TimeZone | None = None
    sms_notify: bool | None = None

    @field_validator("language")
    @classmethod
    def _supported_language(cls, language: str | None) -> str | None:
        return _language(language)


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
