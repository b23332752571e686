"""Small steps shared by the text tests: API calls, fresh reads of a message, times as Twilio writes them."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from rq.registry import ScheduledJobRegistry
from sqlalchemy import select

from tests.support import api_headers
from voicebox.extensions import db
from voicebox.models import Message
from voicebox.queueing import get_queue

PUBLIC = "https://voicebox.example.com"
SERVICE = "MG" + "0" * 32
TO = "+14155550123"
# A fixed "now" for time-machine: a Monday in 2027, well clear of DST changes.
NOW = datetime(2027, 2, 1, 15, 0, tzinfo=UTC)


def scheduled_jobs() -> dict[str, datetime]:
    """Job id -> the time RQ's scheduler will enqueue it."""
    registry = ScheduledJobRegistry(queue=get_queue())
    return {job_id: registry.get_scheduled_time(job_id) for job_id in registry.get_job_ids()}


def post(client, path: str, body: dict):
    return client.post(path, json=body, headers=api_headers())


def get(client, path: str):
    return client.get(path, headers=api_headers())


def message(message_id: int) -> Message:
    """A fresh read of the row (never the session's cached copy)."""
    db.session.expire_all()
    return db.session.scalar(select(Message).where(Message.id == message_id))


def iso(when: datetime) -> str:
    return when.astimezone(UTC).isoformat()


def send_at_param(when: datetime) -> str:
    """SendAt exactly as twilio-python writes it."""
    return when.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def minutes(n: float) -> timedelta:
    return timedelta(minutes=n)
