"""`flask doctor`: check every part voicebox needs, one line each, non-zero exit when one fails."""

from __future__ import annotations

import os
import smtplib
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime

import click
import redis
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from flask import current_app
from rq import Queue, Worker
from rq.worker import BaseWorker
from sqlalchemy.exc import SQLAlchemyError
from twilio.base.exceptions import TwilioException

from ..extensions import db
from ..redis_server import running_url
from ..services import outbox
from ..twilio_client import configured, get_client

HEARTBEAT_MAX_AGE = 120  # seconds; RQ workers beat every few seconds while idle
MIGRATIONS = os.path.join(os.path.dirname(os.path.dirname(__file__)), "migrations")


@dataclass(frozen=True)
class Check:
    """One check's verdict: "ok", "warn" (works, but say why) or "FAIL" (with what to do)."""

    verdict: str
    message: str


def ok(message: str) -> Check:
    return Check("ok", message)


def warn(message: str) -> Check:
    return Check("warn", message)


def fail(message: str) -> Check:
    return Check("FAIL", message)


def check_settings() -> Check:
    cfg = current_app.config
    missing = [name for name in ("PUBLIC_BASE_URL", "TWILIO_MESSAGING_SERVICE_SID") if not cfg.get(name)]
    if missing:
        return warn(f"loaded; unset: {', '.join(missing)} (texts and listen links in emails need them)")
    return ok(f"loaded; PUBLIC_BASE_URL={cfg['PUBLIC_BASE_URL']}")


def check_database() -> Check:
    url = db.engine.url.render_as_string(hide_password=True)
    try:
        with db.engine.connect() as connection:
            current = set(MigrationContext.configure(connection).get_current_heads())
    except SQLAlchemyError as exc:
        return fail(f"{url}: cannot connect ({type(exc).__name__}: {str(exc).splitlines()[0]})")
    heads = set(ScriptDirectory(MIGRATIONS).get_heads())
    if current != heads:
        return fail(f"{url}: at migration {sorted(current) or 'none'}, not {sorted(heads)}: run `flask db upgrade`")
    return ok(f"{url}, migrations at head ({', '.join(sorted(heads))})")


def _redis() -> redis.Redis | None:
    url = running_url(current_app.config, current_app.instance_path)
    return redis.Redis.from_url(url, socket_connect_timeout=2, socket_timeout=5) if url else None


def check_redis() -> Check:
    connection = _redis()
    if connection is None:
        return fail("REDIS_URL is unset and the embedded Redis is not running (./scripts/run starts it)")
    where = current_app.config.get("REDIS_URL") or "embedded Redis in the instance folder"
    try:
        connection.ping()
    except (redis.RedisError, OSError) as exc:
        return fail(f"{where}: no answer ({exc}); check REDIS_URL")
    return ok(f"{where} answers")


def check_worker() -> Check:
    connection = _redis()
    if connection is None:
        return fail("no Redis, so no queue")
    try:
        queue = Queue(current_app.config["RQ_QUEUE"], connection=connection)
        now = datetime.now(UTC)
        alive = [w for w in Worker.all(queue=queue) if _beat_age(w, now) <= HEARTBEAT_MAX_AGE]
        waiting = queue.count
    except (redis.RedisError, OSError) as exc:
        return fail(f"cannot read the queue ({exc})")
    if not alive:
        return fail(f"queue {queue.name!r} ({waiting} waiting) has no live worker: start `flask --app wsgi worker`")
    return ok(f"queue {queue.name!r}: {waiting} waiting, {len(alive)} live worker(s)")


def _beat_age(worker: BaseWorker, now: datetime) -> float:
    beat = worker.last_heartbeat
    if beat is None:
        return float("inf")
    return (now - (beat if beat.tzinfo else beat.replace(tzinfo=UTC))).total_seconds()


def check_smtp() -> Check:
    cfg = current_app.config
    if not cfg.get("MAIL_SERVER"):
        return warn(f"MAIL_SERVER is unset: emails are logged and kept in {outbox.folder()}, not sent")
    server = f"{cfg['MAIL_SERVER']}:{cfg['MAIL_PORT']}"
    smtp_class = smtplib.SMTP_SSL if cfg["MAIL_USE_SSL"] else smtplib.SMTP
    try:
        with smtp_class(cfg["MAIL_SERVER"], cfg["MAIL_PORT"], timeout=min(cfg["MAIL_TIMEOUT"], 10)) as smtp:
            code, _ = smtp.ehlo()
    except (smtplib.SMTPException, OSError) as exc:
        return fail(f"{server}: cannot connect ({type(exc).__name__}: {exc}); check MAIL_SERVER and MAIL_PORT")
    if code != 250:
        return fail(f"{server}: EHLO answered {code}")
    return ok(f"{server} answers EHLO")


def check_twilio() -> Check:
    if not configured():
        return warn("local try-out mode: TWILIO_ACCOUNT_SID is unset, so nothing can reach Twilio's REST API")
    sid = current_app.config["TWILIO_ACCOUNT_SID"]
    try:
        account = get_client().api.v2010.accounts(sid).fetch()
    except TwilioException as exc:
        return fail(f"account {sid}: {exc}; check TWILIO_ACCOUNT_SID and TWILIO_AUTH_TOKEN")
    return ok(f"account {sid} ({account.friendly_name}, {account.status})")


CHECKS: list[tuple[str, Callable[[], Check]]] = [
    ("settings", check_settings),
    ("database", check_database),
    ("redis", check_redis),
    ("worker", check_worker),
    ("smtp", check_smtp),
    ("twilio", check_twilio),
]


@click.command("doctor")
def doctor() -> None:
    """Check settings, database, Redis, queue and worker, SMTP and Twilio; exit 1 if any fails."""
    failed = 0
    for name, check in CHECKS:
        result = check()
        failed += result.verdict == "FAIL"
        click.echo(f"{result.verdict:<4}  {name:<8} {result.message}")
    if failed:
        raise SystemExit(1)
