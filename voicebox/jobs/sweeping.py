"""The notification sweep: re-queue pending claims that no RQ job holds (lost jobs, dead workers)."""

from __future__ import annotations

from collections.abc import Callable

from ..models import utcnow
from ..queueing import NOTIFY_RETRY, enqueue, job_is_live, retry_policy
from ..services import notifications


def requeue_pending(
    channel: notifications.Channel,
    func: Callable[[int], str],
    job_id: Callable[[int, str], str],
    kinds: tuple[str, ...],
) -> int:
    """Enqueue `func(row_id)` for each pending row of `channel` whose job is gone; returns how many.

    `kinds` are the job-id kinds that may hold a row's work; the last is the sweep's own. A row whose
    stale claim was just taken back from a dead worker gets `rescue-<timestamp>`: that worker's job
    may still look "started" in Redis, and a fixed id would collide with it (or an earlier rescue).
    """
    rescued = set(notifications.reclaim_stale(channel))
    count = 0
    for row_id in notifications.pending_ids(channel):
        if row_id in rescued:
            kind = f"rescue-{int(utcnow().timestamp())}"
        elif any(job_is_live(job_id(row_id, k)) for k in kinds):
            continue
        else:
            kind = kinds[-1]
        if enqueue(func, row_id, job_id=job_id(row_id, kind), retry=retry_policy(NOTIFY_RETRY)):
            count += 1
    return count
