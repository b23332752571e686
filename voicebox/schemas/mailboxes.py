"""Mailbox and voicemail schemas."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any, Literal

from pydantic import (
    AfterValidator,
    BaseModel,
    ConfigDict,
    EmailStr,
    Field,
    ValidationInfo,
    computed_field,
    field_validator,
)

from .. import voices
from ..services.transcripts import check_engine
from .common import E164, QueryId, QueryInt, TimeZone

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


# A mailbox name goes into email headers (the subject): no line breaks or other control characters.
NAME_PATTERN = r"^[^\x00-\x1f\x7f]+$"


def _runnable_engine(engine: str) -> str:
    check_engine(engine)  # NotConfigured is a ValueError: a 400 naming the field
    return engine


Engine = Annotated[
    Literal["auto", "twilio", "twilio-realtime", "whisper", "none"],
    AfterValidator(_runnable_engine),
    Field(description="Transcription engine for this mailbox's voicemails; null follows the TRANSCRIPTION setting"),
]


class MailboxIn(BaseModel):
    """A mailbox as POSTed: every field the mailbox has."""

    model_config = ConfigDict(extra="forbid")

    name: str = Field(min_length=1, max_length=120, pattern=NAME_PATTERN)
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
    transcription: Engine | None = None

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


NOT_NULL: tuple[str, ...] = ("name", "twilio_number", "forward_to", "ring_mode", "emails", "language", "voice")
NOT_NULL += ("ring_timeout", "screen_calls", "enabled", "timezone", "sms_notify")


class MailboxPatch(BaseModel):
    """A partial update: only the fields given change."""

    model_config = ConfigDict(extra="forbid")

    name: str | None = Field(default=None, min_length=1, max_length=120, pattern=NAME_PATTERN)
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
    transcription: Engine | None = None

    @field_validator("language")
    @classmethod
    def _supported_language(cls, language: str | None) -> str | None:
        return _language(language)

    @field_validator(*NOT_NULL, mode="before")
    @classmethod
    def _not_null(cls, value: Any) -> Any:
        # Omitting a field leaves it alone; null would erase a value the mailbox cannot do without.
        if value is None:
            raise ValueError("must not be null (leave it out to keep the current value)")
        return value


class MailboxOut(BaseModel):
    """A mailbox."""

    model_config = ConfigDict(from_attributes=True)

    id: int
    name: str
    twilio_number: str | None = Field(validation_alias="numbers")
    forward_to: list[str] = Field(validation_alias="targets")
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
    transcription: str | None
    created_at: datetime

    @field_validator("twilio_number", mode="before")
    @classmethod
    def _first_number(cls, numbers: Any) -> Any:
        return numbers[0].e164 if numbers else None

    @field_validator("forward_to", mode="before")
    @classmethod
    def _target_numbers(cls, targets: Any) -> Any:
        return [target.number for target in targets]


class NotificationOut(BaseModel):
    state: str
    error: str | None
    attempts: int
    sent_at: str | None


class VoicemailOut(BaseModel):
    """A voicemail (never with Twilio credentials: `recording_url` is the bare URL)."""

    model_config = ConfigDict(from_attributes=True)

    id: int
    mailbox_id: int | None
    call_sid: str | None
    recording_sid: str
    from_: str | None = Field(validation_alias="from_number", serialization_alias="from")
    to: str | None = Field(validation_alias="to_number")
    duration: int | None
    recording_url: str | None
    recording_status: str | None
    transcript: str | None
    transcription_status: str | None
    transcription_engine: str | None = Field(description="twilio, twilio-realtime, whisper or none")
    transcript_language: str | None = Field(description="The language the transcript was made in (BCP 47)")
    transcription_error: str | None = Field(description="Why the transcript failed, when it did")
    is_read: bool
    created_at: datetime
    notify_state: str = Field(exclude=True)
    notify_error: str | None = Field(exclude=True)
    notify_attempts: int = Field(exclude=True)
    notified_at: datetime | None = Field(exclude=True)

    @computed_field  # type: ignore[prop-decorator]
    @property
    def notification(self) -> NotificationOut:
        sent_at = self.notified_at.isoformat() if self.notified_at else None
        return NotificationOut(
            state=self.notify_state, error=self.notify_error, attempts=self.notify_attempts, sent_at=sent_at
        )


class VoicemailPatch(BaseModel):
    """What a reader may change on a voicemail."""

    model_config = ConfigDict(extra="forbid")

    read: bool


class VoicemailQuery(BaseModel):
    """GET /api/voicemails filters."""

    mailbox: QueryId | None = Field(default=None, description="Only this mailbox's voicemails")
    limit: QueryInt = Field(default=100, ge=1, le=500)
