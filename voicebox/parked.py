"""Webhooks that came while the database was unreachable: kept in Redis, replayed by the sweep.

Twilio re-posts a failed callback only within the 15 s its connection overrides allow (see
urls.RETRY_OVERRIDES), which a database restart can outlast. So a webhook whose database write
fails for want of a database is parked, as Twilio posted it, on a Redis list and answered 200;
the every-minute sweep posts it again through the app (signature check and all) once the database
is back. Webhooks are idempotent, so a replay that lands twice changes nothing.

What cannot be kept is a webhook that comes while Redis is down too: it is answered 500, and
Twilio's own retries are its only chance. A Redis that restarts empty loses what it held, so run
a production Redis with `appendonly yes`.
"""

from __future__ import annotations

import json
import logging

from flask import current_app, request
from redis.exceptions import RedisError
from sqlalchemy import exc as sa_exc
from sqlalchemy import text
from werkzeug.datastructures import MultiDict

from .extensions import db
from .queueing import get_redis

log = logging.getLogger(__name__)

REPLAYING = "voicebox.replaying"  # an environ key: a replay that fails again stays parked
KEEP_AT_MOST = 100_000  # parked webhooks; beyond that the oldest go (an outage of days)
# What SQLAlchemy raises when the database cannot be reached (refused, restarting, pool exhausted).
DATABASE_DOWN = (sa_exc.OperationalError, sa_exc.InterfaceError, sa_exc.TimeoutError, sa_exc.DisconnectionError)


def parked_key() -> str:
    """The Redis list, per queue name, so deployments sharing a Redis keep their own."""
    return f"voicebox:{current_app.config['RQ_QUEUE']}:parked-webhooks"


def is_database_outage(exc: BaseException) -> bool:
    """Whether `exc` came from an unreachable database, not from our code or data being wrong.

    The exception class alone cannot tell (SQLite says OperationalError for "no such table" too),
    so a database error counts as an outage only if a fresh `SELECT 1` fails as well.
    """
    if not isinstance(exc, DATABASE_DOWN) and not getattr(exc, "connection_invalidated", False):
        return False
    try:
        with db.engine.connect() as connection:
            connection.execute(text("SELECT 1"))
    except sa_exc.SQLAlchemyError:
        return True
    return False


def park() -> bool:
    """Keep the current webhook request for replay; False if Redis cannot take it, or if this is a replay."""
    if request.environ.get(REPLAYING):
        return False
    entry = {
        "path": request.path,
        "query": request.query_string.decode(),
        "form": list(request.form.items(multi=True)),
        "signature": request.headers.get("X-Twilio-Signature", ""),
        "root": request.host_url,
    }
    try:
        with get_redis().pipeline() as pipe:
            pipe.rpush(parked_key(), json.dumps(entry))
            pipe.ltrim(parked_key(), -KEEP_AT_MOST, -1)
            pipe.execute()
    except (RedisError, OSError) as exc:
        log.error("%s: database and Redis both unreachable (%s); only Twilio's retries remain", entry["path"], exc)
        return False
    log.warning("%s: database unreachable; webhook parked for replay", entry["path"])
    return True


def replay_parked(limit: int = 1000) -> int:
    """Post parked webhooks again, oldest first, through the app as Twilio posted them.

    Stops at the first that fails with a 5xx (the database is still down) and keeps it and the rest.
    A 4xx (bad or forged) is logged and dropped. Returns how many were replayed.
    """
    redis = get_redis()
    key = parked_key()
    client = current_app.test_client()  # werkzeug's in-process client: the whole request path, no socket
    replayed = 0
    for raw in redis.lrange(key, 0, limit - 1):
        entry = json.loads(raw)
        response = client.post(
            entry["path"],
            query_string=entry["query"],
            data=MultiDict(entry["form"]),
            headers={"X-Twilio-Signature": entry["signature"]},
            base_url=entry["root"],
            environ_overrides={REPLAYING: True},
        )
        if response.status_code >= 500:
            log.warning("parked webhooks: %s still fails (%s); keeping it", entry["path"], response.status_code)
            break
        if response.status_code >= 400:
            log.warning("parked webhooks: dropping %s, answered %s", entry["path"], response.status_code)
        redis.lrem(key, 1, raw)  # type: ignore[arg-type]  # redis-py's stubs say str; bytes is what LRANGE gave
        replayed += 1
    return replayed
