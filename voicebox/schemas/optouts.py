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
    action: str
    source: str
    detail: str | None
    at: datetime


class OptOutOut(BaseModel):
    number: str
    opted_out: bool
    source: str
    changed_at: datetime
    history: list[OptOutEventOut]
