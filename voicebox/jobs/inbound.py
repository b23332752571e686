"""Forward inbound texts by email, with the same claim, retry and sweep as voicemail emails."""

from __future__ import annotations

import logging

from .. import mail_transport, queueing
from ..extensions import db
from ..models import InboundMessage
from ..queueing import NOTIFY_RETRY, enqueue, retry_policy
from ..services import emails, notifications
from ..services.notifications import INBOUND_EMAIL
from .sweeping import requeue_pending

log = logging.getLogger(__name__)


def job_id(message_id: int, kind: str = "forward") -> str:
    """One job id per text and kind; the queue name keeps deployments sharing a Redis apart."""
    return queueing.job_id("inbound", message_id, kind)


def queue_forward(message_id: int) -> bool:
    """Queue the email for a text; False when Redis is down (the sweep sends it later)."""
    return enqueue(forward_inbound, message_id, job_id=job_id(message_id), retry=retry_policy(NOTIFY_RETRY)) is not None


def forward_inbound(message_id: int) -> str:
    """RQ job: email an inbound text to its mailbox; safe to run any number of times."""
    held = notifications.claim(INBOUND_EMAIL, message_id)
    if held is None:
        return "claimed elsewhere or already settled"
    text = db.session.get_one(InboundMessage, message_id, populate_existing=True)
    email = emails.inbound_email(text)
    if not email.recipients:
        notifications.finish(held, error="the mailbox is gone or has no email address", failed=True)
        return "failed: no recipients"
    try:
        # At-least-once, as for voicemails: a crash between SMTP's acceptance and `finish` re-sends.
        refused = mail_transport.send(email)
    except mail_transport.SendError as exc:
        if exc.permanent:
            notifications.finish(held, error=exc.reason, failed=True)
            return f"failed: {exc.reason}"
        if notifications.release(held, exc.reason):
            raise  # RQ retries with backoff; the row is pending again
        return f"failed: {exc.reason}"
    except Exception as exc:
        notifications.release(held, f"unexpected error: {type(exc).__name__}: {exc}")
        raise
    notifications.finish(held, error="; ".join(f"refused {a}: {why}" for a, why in refused.items()) or None)
    return "sent"


def sweep_inbound() -> int:
    """Sweeper: re-queue forwarded texts whose job was lost, and stale claims of dead workers."""
    return requeue_pending(INBOUND_EMAIL, forward_inbound, job_id, ("forward", "sweep"))
