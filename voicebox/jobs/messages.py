"""Text jobs: deliver one message (hand-off, own send, cancel at Twilio) and the reconciliation sweep.

A job id names the message *and* the due time it serves (`<queue>-message-<id>-<due_at>`): enqueueing the
same work twice is a no-op while the job waits, and a job whose row has moved on finds it not due
and returns quietly.
"""

from __future__ import annotations

import logging
from datetime import datetime

import redis

from .. import queueing
from ..extensions import db
from ..models import utcnow
from ..queueing import enqueue, get_queue, live_job_ids, retry_policy
from ..services import delivery, messages, optouts

log = logging.getLogger(__name__)

SWEEP_BATCH = 5000  # rows per sweep; more wait for the next minute


def job_id(message_id: int, due_at: datetime) -> str:
    """RQ job ids are global in Redis: the queue name keeps deployments sharing a server apart."""
    return queueing.job_id("message", message_id, due_at.strftime("%Y%m%dT%H%M%S%f"))


def deliver_message(message_id: int) -> None:
    """RQ job: do what the message is owed (waiting up to 30 s for a throttle slot); safe to run twice."""
    _follow_up(message_id, delivery.deliver(message_id, throttle_wait=30.0))


def _follow_up(message_id: int, result: delivery.Delivery) -> None:
    """Enqueue the next step, and after a 21610 refusal (they texted STOP) cancel the rest for them."""
    if result.run_again is not None:
        schedule(message_id, result.run_again)
    if result.unsubscribed is not None:
        queue_cancel(result.unsubscribed)


def queue_cancel(number: str) -> bool:
    """Queue the cancel job for a number that just opted out; False if Redis is down (the opt-out
    sweep then finds the number's owed messages). One job per number while it waits."""
    return enqueue(cancel_messages_to, number, job_id=queueing.job_id("optout-cancel", number.lstrip("+"))) is not None


def cancel_messages_to(number: str) -> int:
    """RQ job: cancel every pending, queued or scheduled text to an opted-out number.

    Twilio does not cancel scheduled messages on STOP. Local rows are canceled here; for messages
    scheduled at Twilio the cancel is marked owed and their delivery job performs it, with its own
    retries and backoff. Safe to run twice. Returns how many cancels at Twilio it queued.
    """
    if not optouts.is_opted_out(number):
        return 0  # opted back in before we ran
    at_twilio = delivery.cancel_all_to(number)
    for message in at_twilio:
        schedule(message.id, message.due_at or utcnow())
    log.info("opt-out %s: %d scheduled message(s) to cancel at Twilio", number, len(at_twilio))
    return len(at_twilio)


def schedule(message_id: int, at: datetime) -> None:
    """Enqueue delivery at `at` (now if due). If Redis is down the sweep finds the row later."""
    when = None if at <= utcnow() else at
    enqueue(deliver_message, message_id, job_id=job_id(message_id, at), at=when)


def kick(message_id: int) -> None:
    """From a web request or the CLI: act now if due and a throttle slot is free, else enqueue."""
    try:
        result = delivery.deliver(message_id, throttle_wait=0)
    except Exception:  # the row is stored and due: never lose the caller's answer over this
        log.exception("message %s: immediate delivery failed; the sweep will retry it", message_id)
        db.session.rollback()
        return
    _follow_up(message_id, result)


def sweep_messages() -> int:
    """Reconciliation: enqueue every due message whose job Redis lost. Returns how many were enqueued."""
    due = messages.due_messages(utcnow(), SWEEP_BATCH)
    if not due:
        return 0
    ids = [job_id(message_id, due_at) for message_id, due_at in due]
    try:
        live = live_job_ids(ids)
        queue = get_queue()
        lost = [
            queue.prepare_data(deliver_message, (message_id,), job_id=jid, retry=retry_policy())
            for (message_id, _), jid in zip(due, ids, strict=True)
            if jid not in live
        ]
        queue.enqueue_many(lost)
    except (redis.RedisError, OSError) as exc:
        log.warning("message sweep: Redis unreachable (%s); %d due messages wait for the next sweep", exc, len(due))
        return 0
    if lost:
        log.info("message sweep: enqueued %d of %d due messages", len(lost), len(due))
    return len(lost)
