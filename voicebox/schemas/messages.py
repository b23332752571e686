"""Text message, sequence and enrollment schemas."""

from __future__ import annotations

import re
from datetime import UTC, date, datetime
from typing import Annotated, Any
from urllib.parse import urlsplit
from zoneinfo import ZoneInfo

from pydantic import (
    AfterValidator,
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    ValidationInfo,
    computed_field,
    field_validator,
)

from ..services.statuses import reason
from .common import E164, QueryId, QueryInt, TimeZone

HHMM = re.compile(r"^([01]\d|2[0-3]):[0-5]\d$")


def check_media_url(value: str) -> str:
    """An absolute http(s) URL Twilio can fetch."""
    parts = urlsplit(value)
    if parts.scheme not in {"http", "https"} or not parts.netloc:
        raise ValueError("must be an absolute http(s) URL")
    return value


def check_hhmm(value: str) -> str:
    """A local wall-clock time, "HH:MM" on the 24-hour clock."""
    if not HHMM.match(value):
        raise ValueError('must be a time "HH:MM" (24-hour), e.g. "18:00"')
    return value


def check_body(value: str) -> str:
    if not value.strip():
        raise ValueError("must not be blank")
    return value


MediaUrl = Annotated[str, Field(max_length=1000), AfterValidator(check_media_url)]
HHMMStr = Annotated[str, Field(examples=["18:00"]), AfterValidator(check_hhmm)]
# Twilio's limit for Body is 1,600 characters.
Body = Annotated[str, Field(min_length=1, max_length=1600), AfterValidator(check_body)]
# Twilio accepts at most 10 media URLs on one message.
MediaUrls = Annotated[list[MediaUrl], Field(default_factory=list, max_length=10)]


def parse_anchor(value: Any) -> date | datetime:
    """An ISO-8601 date (2027-03-10) or date-time (2027-03-10T09:30, offset optional)."""
    if isinstance(value, str):
        try:
            return date.fromisoformat(value) if len(value) == 10 else datetime.fromisoformat(value)
        except ValueError:
            pass
    raise ValueError("must be an ISO-8601 date (2027-03-10) or date-time (2027-03-10T09:30:00)")


def local_to_utc(value: datetime, timezone: str) -> datetime:
    """A naive wall-clock time in `timezone` as aware UTC.

    zoneinfo's fold=0 rules decide the odd cases: a time in the spring-forward gap (02:30 on the
    March change in New York) moves forward by the gap (03:30 EDT); a repeated autumn time is
    taken at its first occurrence.
    """
    return value.replace(tzinfo=ZoneInfo(timezone)).astimezone(UTC)


def parse_iso_datetime(value: Any) -> datetime:
    """An ISO-8601 date-time string (with a time part; the offset is optional)."""
    if not isinstance(value, str) or len(value) < 16:
        raise ValueError("must be an ISO-8601 date-time, e.g. 2027-03-10T18:00:00-05:00")
    try:
        return datetime.fromisoformat(value)
    except ValueError as exc:
        raise ValueError("must be an ISO-8601 date-time, e.g. 2027-03-10T18:00:00-05:00") from exc


class MessageIn(BaseModel):
    """A text as POSTed. `send_at` has an offset, or is naive with `timezone`; omitted means now.

    The time-dependent checks (not in the past, within SCHEDULE_MAX_HORIZON_DAYS) are the service's.
    """

    model_config = ConfigDict(extra="forbid")

    to: E164
    body: Body
    media_urls: MediaUrls
    # Declared before send_at so send_at's validator can read it.
    timezone: TimeZone | None = None
    send_at: datetime | None = Field(default=None, examples=["2027-03-10T18:00:00-05:00"])

    @field_validator("send_at", mode="before")
    @classmethod
    def _parse_send_at(cls, value: Any) -> Any:
        return None if value is None else parse_iso_datetime(value)

    @field_validator("send_at")
    @classmethod
    def _send_at_utc(cls, value: datetime | None, info: ValidationInfo) -> datetime | None:
        if value is None:
            return None
        timezone: str | None = info.data.get("timezone")
        if value.tzinfo is None and not timezone:
            raise ValueError("has no UTC offset: add one (e.g. -05:00) or give an IANA timezone")
        try:
            return (
                value.astimezone(UTC) if value.tzinfo is not None or timezone is None else local_to_utc(value, timezone)
            )
        except OverflowError:  # 0001-01-01T00:30+01:00 is before year 1 in UTC
            raise ValueError("is outside the calendar in UTC") from None


class StepIn(BaseModel):
    """A sequence step: `offset_days` calendar days after the anchor, at local `at`, plus `offset_minutes`."""

    model_config = ConfigDict(extra="forbid")

    offset_days: int = Field(default=0, ge=0, le=3650)
    offset_minutes: int = Field(default=0, ge=0, le=525_600)
    at: HHMMStr | None = None
    body: Body
    media_urls: MediaUrls


class SequenceIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    name: str = Field(min_length=1, max_length=120)
    steps: list[StepIn] = Field(min_length=1, max_length=50)
    quiet_hours: list[HHMMStr] | None = Field(
        default=None, min_length=2, max_length=2, examples=[["21:00", "08:00"]], description="[start, end), local"
    )

    @field_validator("quiet_hours")
    @classmethod
    def _distinct(cls, value: list[str] | None) -> list[str] | None:
        if value is not None and value[0] == value[1]:
            raise ValueError("start and end must differ")
        return value


class EnrollmentIn(BaseModel):
    """Enrol a number: `anchor` is a date (2027-03-10) or a date-time, read in `timezone`."""

    model_config = ConfigDict(extra="forbid")

    to: E164
    timezone: TimeZone
    anchor: Annotated[date | datetime, BeforeValidator(parse_anchor)] = Field(
        examples=["2027-03-10", "2027-03-10T09:30:00"]
    )


class MessageError(BaseModel):
    code: str | None
    message: str | None
    more_info: str | None
    reason: str | None = Field(default=None, description="A readable reason for the error code, e.g. 30007")


class MessageEventOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    at: datetime = Field(validation_alias="created_at")
    kind: str
    status: str | None
    error_code: str | None
    detail: str | None


def _list_or_empty(value: Any) -> Any:
    return list(value or [])


class MessageOut(BaseModel):
    """A text with its history."""

    model_config = ConfigDict(from_attributes=True)

    id: int
    to: str = Field(validation_alias="to_number")
    body: str
    media_urls: Annotated[list[str], BeforeValidator(_list_or_empty)]
    send_at: datetime | None = Field(description="UTC; null means as soon as possible")
    status: str = Field(
        description="pending|queued|scheduled|sending|sent|delivered|undelivered|failed|canceled",
    )
    twilio_sid: str | None
    cancel_requested: bool = Field(validation_alias="cancel_requested_at")
    sequence_id: int | None
    enrollment_id: int | None
    created_at: datetime
    events: list[MessageEventOut]
    error_code: str | None = Field(exclude=True)
    error_message: str | None = Field(exclude=True)
    error_more_info: str | None = Field(exclude=True)

    @field_validator("cancel_requested", mode="before")
    @classmethod
    def _requested(cls, requested_at: Any) -> bool:
        return requested_at is not None and requested_at is not False

    @computed_field  # type: ignore[prop-decorator]
    @property
    def error(self) -> MessageError | None:
        if not (self.error_code or self.error_message):
            return None
        return MessageError(
            code=self.error_code,
            message=self.error_message,
            more_info=self.error_more_info,
            reason=reason(self.error_code),
        )


class MessageQuery(BaseModel):
    """GET /api/messages filters."""

    status: str | None = None
    to: str | None = None
    sequence: QueryId | None = None
    limit: QueryInt = Field(default=100, ge=1, le=500)


class StepOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    offset_days: int
    offset_minutes: int
    at: str | None
    body: str
    media_urls: Annotated[list[str], BeforeValidator(_list_or_empty)]


class SequenceOut(BaseModel):
    """A drip sequence and its steps."""

    model_config = ConfigDict(from_attributes=True)

    id: int
    name: str
    steps: list[StepOut]
    created_at: datetime
    quiet_start: str | None = Field(exclude=True)
    quiet_end: str | None = Field(exclude=True)

    @computed_field(description="[start, end), local")  # type: ignore[prop-decorator]
    @property
    def quiet_hours(self) -> list[str] | None:
        return [self.quiet_start, self.quiet_end] if self.quiet_start and self.quiet_end else None


class EnrollmentOut(BaseModel):
    """An enrollment and its texts."""

    model_config = ConfigDict(from_attributes=True)

    id: int
    sequence_id: int
    to: str = Field(validation_alias="to_number")
    anchor: str
    timezone: str
    status: str
    canceled_at: datetime | None
    created_at: datetime
    messages: list[MessageOut]
