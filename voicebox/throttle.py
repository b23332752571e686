"""Moving-window limits in Redis (the `limits` library, the one behind Flask-Limiter), shared by every
web process and worker:

- at most SMS_MAX_PER_SECOND sends per messaging service: any one-second span holds at most N sends, so
  a burst of due messages is spread out instead of meeting Twilio's 429s;
- at most SIGN_IN_FAILURES wrong passwords per email in SIGN_IN_WINDOW_MINUTES, so nobody can guess a
  password from the open internet (an ngrok URL is public).
"""

from __future__ import annotations

import logging
import time

import redis
from flask import current_app
from limits import RateLimitItemPerMinute, RateLimitItemPerSecond
from limits.storage import RedisStorage
from limits.strategies import MovingWindowRateLimiter

from .queueing import get_redis

log = logging.getLogger(__name__)

SIGN_IN_FAILURES = 10
SIGN_IN_WINDOW_MINUTES = 15
SIGN_IN_LIMIT = RateLimitItemPerMinute(SIGN_IN_FAILURES, SIGN_IN_WINDOW_MINUTES)


def _limiter() -> MovingWindowRateLimiter:
    limiter = current_app.extensions.get("voicebox_limiter")
    if limiter is None:
        # The queue name namespaces the keys: the workers of one deployment share it, tests do not.
        storage = RedisStorage(
            "redis://",
            connection_pool=get_redis().connection_pool,
            key_prefix=f"voicebox:{current_app.config['RQ_QUEUE']}:rate",
        )
        limiter = MovingWindowRateLimiter(storage)
        current_app.extensions["voicebox_limiter"] = limiter
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
        while not limiter.hit(item, "sms", service_sid):
            reset = limiter.get_window_stats(item, "sms", service_sid).reset_time
            pause = min(max(reset - time.time(), 0.01), 1.0)
            if time.monotonic() + pause > deadline:
                return False
            time.sleep(pause)
    except (redis.RedisError, OSError) as exc:
        log.warning("SMS throttle unavailable (Redis: %s); sending without it", exc)
    return True


def sign_in_allowed(email: str) -> bool:
    """Whether `email` may try a password now (fewer than SIGN_IN_FAILURES failures in the window).

    Without Redis we cannot count, and refusing every sign-in would lock the team out: allow it.
    """
    try:
        return _limiter().test(SIGN_IN_LIMIT, "sign-in", email)
    except (redis.RedisError, OSError) as exc:
        log.warning("sign-in throttle unavailable (Redis: %s)", exc)
        return True


def sign_in_failed(email: str) -> None:
    """Count a wrong password for `email`."""
    try:
        _limiter().hit(SIGN_IN_LIMIT, "sign-in", email)
    except (redis.RedisError, OSError) as exc:
        log.warning("sign-in throttle unavailable (Redis: %s)", exc)
