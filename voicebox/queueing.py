"""Redis and RQ: the connection, the queue, and enqueue helpers that survive Redis being down.

The database row is always the truth. Enqueueing only makes work happen sooner; when Redis is
unreachable the row stays pending and the periodic sweep enqueues it later.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Callable
from datetime import datetime
from typing import Any

import redis
from flask import Flask, current_app
from rq import Queue, Retry
from rq.job import Job

from .redis_server import redis_url_for

log = logging.getLogger(__name__)

# Exponential-ish backoff for jobs that talk to SMTP or Twilio: ~8 minutes of retries in all.
DEFAULT_RETRY = Retry(max=6, interval=[5, 15, 30, 60, 120, 240])


def init_app(app: Flask) -> None:
    """Nothing connects yet: commands such as `flask db upgrade` never need Redis, so the embedded
    server starts on first use (the web process's first enqueue, or `flask worker`)."""
    app.extensions["voicebox_redis"] = None


def redis_url() -> str:
    """The Redis URL: REDIS_URL, or the embedded server's socket (started if needed)."""
    return redis_url_for(current_app.config, current_app.instance_path)


def get_redis() -> redis.Redis:
    """The app's Redis connection, created on first use."""
    client = current_app.extensions.get("voicebox_redis")
    if client is None:
        client = redis.Redis.from_url(redis_url(), socket_connect_timeout=2, socket_timeout=5)
        current_app.extensions["voicebox_redis"] = client
    return client


def job_id(*parts: object) -> str:
    """A deterministic RQ job id: the queue name, then `parts`, in RQ's id alphabet.

    RQ job ids are global to a Redis server, so the queue name keeps deployments (and test runs)
    sharing one Redis from mistaking each other's jobs; fixed ids make duplicate enqueues collapse.
    """
    raw = "-".join(str(part) for part in (current_app.config["RQ_QUEUE"], *parts))
    return re.sub(r"[^A-Za-z0-9_-]", "_", raw)


def get_queue() -> Queue:
    """The app's RQ queue."""
    return Queue(current_app.config["RQ_QUEUE"], connection=get_redis())


def enqueue(
    func: Callable[..., Any],
    *args: Any,
    job_id: str | None = None,
    at: datetime | None = None,
    retry: Retry | None = DEFAULT_RETRY,
) -> Job | None:
    """Enqueue `func(*args)` now, or at `at` via RQ's scheduler; None if Redis is unreachable.

    A fixed `job_id` makes the enqueue idempotent while the job is still queued or scheduled.
    """
    try:
        queue = get_queue()
        if job_id and _is_live(job_id):
            return Job.fetch(job_id, connection=queue.connection)
        if at is not None:
            return queue.enqueue_at(at, func, *args, job_id=job_id, retry=retry)
        return queue.enqueue(func, *args, job_id=job_id, retry=retry)
    except (redis.RedisError, OSError) as exc:
        log.warning("could not enqueue %s%r (Redis unreachable: %s); the sweep will retry", func.__name__, args, exc)
        return None


def _is_live(job_id: str) -> bool:
    """True when a job with this id is queued, scheduled, deferred or running."""
    try:
        status = Job.fetch(job_id, connection=get_redis()).get_status(refresh=False)
    except Exception:  # NoSuchJobError, or a job whose data Redis lost
        return False
    return status in {"queued", "scheduled", "deferred", "started"}


def job_is_live(job_id: str) -> bool:
    """Whether some RQ job with this id still holds the work (False when Redis is down)."""
    try:
        return _is_live(job_id)
    except (redis.RedisError, OSError):
        return False
