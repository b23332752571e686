"""Opt-out schemas."""

from __future__ import annotations

from datetime import datetime

from pydantic import BaseModel, ConfigDict, Field

from .common import E164

NOTE_MAX = 200  # opt_out_events.detail


class OptOutIn(BaseModel):
    """A manual opt-out (e.g. someone asked by phone); logged with its note."""

    model_config = ConfigDict(extra="forbid")

    number: E164
    note: str | None = Field(default=None, max_length=NOTE_MAX)


class OptOutEventOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    action: str
    source: str
    detail: str | None
    at: datetime = Field(validation_alias="created_at")


class OptOutOut(BaseModel):
    """A number's opt-out state; `history` comes from `services.optouts.history`, not the row."""

    model_config = ConfigDict(from_attributes=True)

    number: str
    opted_out: bool
    source: str
    changed_at: datetime
    history: list[OptOutEventOut] = Field(default_factory=list)


class OptOutQuery(BaseModel):
    """GET /api/optouts filters."""

    all: bool = Field(default=False, description="Every number ever seen, not only those opted out now")


class OptInQuery(BaseModel):
    """DELETE /api/optouts/{number} options."""

    note: str | None = Field(default=None, max_length=200)
