"""RQ job functions: plain, importable, take ids, reload rows, and are safe to run twice.

One module per feature; `sweep` is the every-minute safety net that calls each feature's sweeper.
"""

from __future__ import annotations

import logging
from collections.abc import Callable

from flask import current_app

from ..queueing import get_redis

log = logging.getLogger(__name__)


def _sweepers() -> list[tuple[str, Callable[[], int]]]:
    """Each feature's sweeper; it returns how many rows it re-enqueued or handed on."""
    from ..parked import replay_parked
    from .inbound import sweep_inbound
    from .messages import sweep_messages
    from .optouts import sweep_opted_out
    from .ring import sweep_rings
    from .transcription import sweep_transcripts
    from .voicemail import sweep_voicemail_notifications

    return [
        ("parked_webhooks", replay_parked),  # first: what it stores is then pending for the others
        ("voicemail_notifications", sweep_voicemail_notifications),
        ("messages", sweep_messages),
        ("opted_out", sweep_opted_out),
        ("inbound_texts", sweep_inbound),
        ("rings", sweep_rings),
        ("transcripts", sweep_transcripts),
    ]


def sweep_lock() -> str:
    """The Redis key that lets one sweep run per minute; keyed by queue name, so deployments (and
    test runs) sharing one Redis each sweep their own rows."""
    return f"voicebox:{current_app.config['RQ_QUEUE']}:sweep-lock"


def sweep() -> dict[str, int]:
    """Periodic safety net (every minute): re-enqueue work whose job Redis lost.

    Every worker's cron scheduler enqueues this; a short Redis lock lets only one run per minute.
    """
    if not get_redis().set(sweep_lock(), "1", nx=True, ex=50):
        return {}
    counts: dict[str, int] = {}
    for name, sweeper in _sweepers():
        try:
            counts[name] = sweeper()
        except Exception:
            log.exception("sweep %s failed", name)
    log.info("sweep: %s", counts)
    return counts
