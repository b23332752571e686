"""Redis and RQ: the connection, the queue, and enqueue helpers that survive Redis being down.

The database row is always the truth. Enqueueing only makes work happen sooner; when Redis is
unreachable the row stays pending and the periodic sweep enqueues it later.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Any

import redis
from flask import Flask, current_app
from rq import Queue, Retry, Worker
from rq.job import Job, JobStatus

from .models import utcnow
from .redis_server import redis_url_for

log = logging.getLogger(__name__)

# Exponential-ish backoff for jobs that talk to Twilio: ~8 minutes of retries in all.
DEFAULT_RETRY_INTERVALS = (5, 15, 30, 60, 120, 240)
NOTIFY_RETRY = "NOTIFY_RETRY_INTERVALS"  # the setting that notification jobs (SMTP) back off by
# How long past its time a scheduled job may wait for RQ's scheduler (which moves due jobs every
# second) before the sweep treats it as lost with a dead scheduler.
SCHEDULE_GRACE = timedelta(seconds=60)


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


def retry_policy(setting: str | None = None) -> Retry:
    """RQ's Retry, one retry per interval: from the config list `setting`, else DEFAULT_RETRY_INTERVALS."""
    intervals = list(current_app.config[setting] if setting else DEFAULT_RETRY_INTERVALS)
    return Retry(max=len(intervals), interval=intervals)


def get_queue() -> Queue:
    """The app's RQ queue."""
    return Queue(current_app.config["RQ_QUEUE"], connection=get_redis())


def enqueue(
    func: Callable[..., Any],
    *args: Any,
    job_id: str | None = None,
    at: datetime | None = None,
    retry: Retry | None = None,
) -> Job | None:
    """Enqueue `func(*args)` now, or at `at` via RQ's scheduler; None if Redis is unreachable.

    `retry` defaults to `retry_policy()`. A fixed `job_id` makes the enqueue idempotent while the
    job is still queued or scheduled.
    """
    retry = retry or retry_policy()
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


def live_job_ids(job_ids: list[str]) -> set[str]:
    """The ids whose RQ job still holds the work: queued or deferred; scheduled and not overdue by
    more than SCHEDULE_GRACE; started by a worker that is still alive.

    RQ's registries alone would keep work hostage: a job parked in the scheduled registry of a
    scheduler that died with a Redis outage stays "scheduled" until RQ's maintenance restarts it
    (10 minutes by default), and a job "started" by a SIGKILLed worker stays so until its registry
    is cleaned. The database says what is owed; past the grace the sweep enqueues it again (claims
    in the database keep it exactly-once).

    One pipeline of reads, not Job.fetch_many, which raises for the whole batch when Redis has lost
    part of one job's hash; such a job is not live. Raises RedisError when Redis is unreachable.
    """
    connection = get_redis()
    scheduled_key = get_queue().scheduled_job_registry.key
    with connection.pipeline(transaction=False) as pipe:
        for job_id in job_ids:
            pipe.hmget(Job.key_for(job_id), "status", "worker_name")
            pipe.hexists(Job.key_for(job_id), "data")
            pipe.zscore(scheduled_key, job_id)
        answers = pipe.execute()
    overdue = utcnow().timestamp() - SCHEDULE_GRACE.total_seconds()
    live, started = set(), {}
    for job_id, (status, worker), data, due in zip(job_ids, answers[0::3], answers[1::3], answers[2::3], strict=True):
        status = status.decode() if data and status else None
        waiting = status in (JobStatus.QUEUED, JobStatus.DEFERRED)
        if waiting or (status == JobStatus.SCHEDULED and due is not None and due > overdue):
            live.add(job_id)
        elif status == JobStatus.STARTED and worker:
            started[job_id] = worker.decode()
    return live | _with_live_worker(started)


def _with_live_worker(started: dict[str, str]) -> set[str]:
    """The started jobs whose worker still beats (its key expires worker_ttl after its last beat)."""
    if not started:
        return set()
    with get_redis().pipeline(transaction=False) as pipe:
        for worker in started.values():
            pipe.exists(Worker.redis_worker_namespace_prefix + worker)
        alive = pipe.execute()
    return {job_id for job_id, beats in zip(started, alive, strict=True) if beats}


def _is_live(job_id: str) -> bool:
    """True when a job with this id holds its work (see live_job_ids)."""
    return job_id in live_job_ids([job_id])


def job_is_live(job_id: str) -> bool:
    """Whether some RQ job with this id still holds the work (False when Redis is down)."""
    try:
        return _is_live(job_id)
    except (redis.RedisError, OSError):
        return False
