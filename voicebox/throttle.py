"""At most SMS_MAX_PER_SECOND sends per messaging service, shared by every web process and worker.

A moving window in Redis (the `limits` library, the one behind Flask-Limiter): any one-second span
holds at most N sends, so a burst of due messages is spread out instead of meeting Twilio's 429s.
"""

from __future__ import annotations

import logging
import time

import redis
from flask import current_app
from limits import RateLimitItemPerSecond
from limits.storage import RedisStorage
from limits.strategies import MovingWindowRateLimiter

from .queueing import get_redis

log = logging.getLogger(__name__)


def _limiter() -> MovingWindowRateLimiter:
    limiter = current_app.extensions.get("voicebox_sms_limiter")
    if limiter is None:
        # The queue name namespaces the keys: the workers of one deployment share it, tests do not.
        storage = RedisStorage(
            "redis://",
            connection_pool=get_redis().connection_pool,
            key_prefix=f"voicebox:{current_app.config['RQ_QUEUE']}:sms-rate",
        )
        limiter = MovingWindowRateLimiter(storage)
        current_app.extensions["voicebox_sms_limiter"] = limiter
    return limiter


def acquire(service_sid: str, wait: float = 30.0) -> bool:
    """Take one send slot for `service_sid`, waiting up to `wait` seconds; False if none came free.

    When Redis is unreachable nothing can be coordinated; we let the send through (Twilio queues
    messages itself) rather than stall every text.
    """
    item = RateLimitItemPerSecond(current_app.config["SMS_MAX_PER_SECOND"])
    limiter = _limiter()
    deadline = time.monotonic() + wait
    try:
        while not limiter.hit(item, service_sid):
            reset = limiter.get_window_stats(item, service_sid).reset_time
            pause = min(max(reset - time.time(), 0.01), 1.0)
            if time.monotonic() + pause > deadline:
                return False
            time.sleep(pause)
    except (redis.RedisError, OSError) as exc:
        log.warning("SMS throttle unavailable (Redis: %s); sending without it", exc)
    return True
