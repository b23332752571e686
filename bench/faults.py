"""Fault benchmark: 200 voicemails while a worker dies, Redis dies, SMTP and the database go away.

Everything runs for real in a temporary folder: a private redis-server (killed and started again
empty), an aiosmtpd SMTP server in this process (stopped and started again), the app under gunicorn,
two `flask worker`s, and SQLite or (--postgres) a private PostgreSQL cluster this script creates
with initdb and restarts with pg_ctl. It leaves voicemails as Twilio would, each callback posted 3
times in shuffled order, retried like Twilio's connection overrides ask (5 retries within 15 s on
a 5xx or a refused connection), and meanwhile:

    t=20 s   SIGKILL one worker (and its horse, scheduler and cron) mid-job; it is never restarted
    t=40 s   SIGKILL Redis; at t=70 s start it again, empty
    t=80 s   stop the SMTP server; start it again at t=200 s
    t=100 s  (--postgres) stop PostgreSQL, start it again 10 s later

It prints stored, emailed, duplicates and lost, and exits 1 unless lost and duplicates are 0 and
every caller-facing answer was TwiML. `--no-sweep` starts the workers without the sweep cron, to
show the run counting a loss when the safety net is off.

    .venv/bin/python bench/faults.py
    .venv/bin/python bench/faults.py --postgres
    .venv/bin/python bench/faults.py --no-sweep --settle 240
"""

from __future__ import annotations

import argparse
import contextlib
import os
import random
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time
import xml.etree.ElementTree as ET
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

import redis  # noqa: E402
import requests  # noqa: E402
import sqlalchemy as sa  # noqa: E402
from aiosmtpd.controller import Controller  # noqa: E402
from rq import Worker  # noqa: E402
from twilio.request_validator import RequestValidator  # noqa: E402
from twilio_rest import TwilioRest  # noqa: E402  (bench/, the script's own folder)

from tests.faults.servers import RedisServer  # noqa: E402
from tests.support import free_port  # noqa: E402

BIN = Path(sys.executable).parent
PG_BIN = Path("/usr/lib/postgresql/15/bin")
AUTH_TOKEN = "bench-auth-token-0123456789abcdef"
ACCOUNT_SID = "AC" + "0" * 32
TWILIO_NUMBER = "+14155550100"
MESSAGING_SERVICE_SID = "MG" + "0" * 32
API_TOKEN = "bench-api-token-0123456789abcdef0123"  # 32+ characters: config refuses weaker
API_HEADERS = {"Authorization": f"Bearer {API_TOKEN}"}
CALLER_FACING = ("/voice/incoming", "/voice/recording")


class Inbox:
    """aiosmtpd handler: how many times each voicemail's email (by its Message-ID) was accepted."""

    def __init__(self) -> None:
        self.accepted: Counter[str] = Counter()
        self.lock = threading.Lock()

    async def handle_DATA(self, server, session, envelope):
        for line in envelope.content.split(b"\r\n"):
            if line.lower().startswith(b"message-id:"):
                key = line.split(b".", 1)[1].split(b"@", 1)[0].decode()  # <voicemail.RE...@host>
                with self.lock:
                    self.accepted[key] += 1
                break
        return "250 OK"


class Smtp:
    """The SMTP server, which can be stopped and started again on the same port."""

    def __init__(self, inbox: Inbox) -> None:
        self.inbox, self.port = inbox, free_port()
        self.controller: Controller | None = None

    def start(self) -> None:
        self.controller = controller = Controller(self.inbox, hostname="127.0.0.1", port=self.port)
        controller.start()

    def stop(self) -> None:
        if self.controller is not None:
            self.controller.stop()
            self.controller = None


class Postgres:
    """A private PostgreSQL cluster under the run's folder, owned and run by the postgres user."""

    def __init__(self, folder: Path) -> None:
        self.dir, self.port = folder / "pg", free_port()
        self.dir.mkdir()
        shutil.chown(self.dir, "postgres", "postgres")
        self._as_postgres(PG_BIN / "initdb", "-D", self.dir, "-U", "postgres", "-A", "trust")

    @property
    def url(self) -> str:
        return f"postgresql://postgres@127.0.0.1:{self.port}/postgres"

    def _as_postgres(self, *args: object) -> None:
        command = ["runuser", "-u", "postgres", "--", *map(str, args)]
        subprocess.run(command, check=True, capture_output=True)

    def start(self) -> None:
        options = f"-p {self.port} -k {self.dir} -c listen_addresses=127.0.0.1"
        self._as_postgres(PG_BIN / "pg_ctl", "-D", self.dir, "-o", options, "-l", self.dir / "log", "-w", "start")

    def stop(self) -> None:
        self._as_postgres(PG_BIN / "pg_ctl", "-D", self.dir, "-m", "fast", "-w", "stop")


def descendants(pid: int) -> list[int]:
    """`pid` and every process below it (RQ's work horse leaves its parent's process group)."""
    children: dict[int, list[int]] = {}
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        children.setdefault(int(fields[1]), []).append(int(stat.parent.name))
    found, todo = [], [pid]
    while todo:
        current = todo.pop()
        found.append(current)
        todo += children.get(current, [])
    return found


@dataclass
class Tally:
    """What the posting threads saw."""

    answers: Counter = field(default_factory=Counter)
    not_twiml: list[str] = field(default_factory=list)
    given_up: list[str] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)


class Twilio:
    """Posts signed webhooks like Twilio: a callback with overrides is retried (5 times within 15 s)."""

    def __init__(self, base: str, tally: Tally) -> None:
        self.base, self.tally = base, tally
        self.validator = RequestValidator(AUTH_TOKEN)
        self.local = threading.local()

    def post(self, url: str, params: dict, retry: bool) -> requests.Response | None:
        session = getattr(self.local, "session", None) or requests.Session()
        self.local.session = session
        sent_url, _, _ = url.partition("#")
        signature = self.validator.compute_signature(url, params)
        path = urlsplit(sent_url).path
        deadline = time.monotonic() + 15
        for attempt in range(6 if retry else 1):
            try:
                response = session.post(sent_url, data=params, headers={"X-Twilio-Signature": signature}, timeout=15)
            except requests.RequestException:
                response = None
            if response is not None and response.status_code < 500:
                break
            if attempt < 5 and time.monotonic() < deadline:
                time.sleep(min(0.5 * 2**attempt, 4))
        with self.tally.lock:
            self.tally.answers[(path, response.status_code if response is not None else "refused")] += 1
            if response is None or response.status_code >= 500:
                self.tally.given_up.append(path)
            if path in CALLER_FACING and not _is_twiml(response):
                self.tally.not_twiml.append(path)
        return response


def _is_twiml(response: requests.Response | None) -> bool:
    if response is None or response.status_code != 200 or "xml" not in response.headers.get("Content-Type", ""):
        return False
    try:
        return ET.fromstring(response.content).tag == "Response"
    except ET.ParseError:
        return False


def call_params(n: int) -> dict:
    return {
        "AccountSid": ACCOUNT_SID,
        "CallSid": f"CA{n:032d}",
        "From": f"+1415867{n % 10000:04d}",
        "To": TWILIO_NUMBER,
        "CallStatus": "in-progress",
        "Direction": "inbound",
        "ApiVersion": "2010-04-01",
    }


def leave_voicemail(twilio: Twilio, n: int, rng: random.Random, base: str) -> None:
    """One caller: the call (its answer gives the <Record> URLs), then every callback 3 times, shuffled."""
    call = call_params(n)
    answer = twilio.post(f"{base}/voice/incoming", call, retry=False)
    record = ET.fromstring(answer.content).find("Record") if answer is not None and _is_twiml(answer) else None
    if record is None:
        return  # counted as not TwiML; the caller could leave no message
    sid = f"RE{n:032d}"
    recording = {"RecordingSid": sid, "RecordingUrl": f"https://api.twilio.com/x/Recordings/{sid}"}
    posts: list[tuple[str | None, dict[str, Any], bool]] = [(f"{base}/voice/incoming", call, False)] * 2
    posts += [(record.get("action"), call | recording | {"RecordingDuration": "42", "Digits": "#"}, False)] * 3
    status = {"AccountSid": ACCOUNT_SID, "CallSid": call["CallSid"], **recording}
    status |= {"RecordingStatus": "completed", "RecordingDuration": "42", "RecordingChannels": "1"}
    posts += [(record.get("recordingStatusCallback"), status | {"RecordingSource": "RecordVerb"}, True)] * 3
    if n % 4:  # a quarter get no transcription: their email goes by the scheduled fallback
        transcript = {"AccountSid": ACCOUNT_SID, "CallSid": call["CallSid"], **recording}
        transcript |= {"TranscriptionSid": f"TR{n:032d}", "TranscriptionStatus": "completed"}
        transcript |= {"TranscriptionText": f"message {n}", "TranscriptionType": "fast"}
        posts += [(record.get("transcribeCallback"), transcript, True)] * 3
    rng.shuffle(posts)
    for url, params, retry in posts:
        time.sleep(rng.uniform(0, 2))
        if url:  # our TwiML always names every callback; a missing one is a bug the counts will show
            twilio.post(url, params, retry)


class Stack:
    """The processes of one run, and the faults done to them."""

    def __init__(self, args: argparse.Namespace, folder: Path) -> None:
        self.args, self.folder = args, folder
        self.redis = RedisServer(folder)
        self.inbox = Inbox()
        self.smtp = Smtp(self.inbox)
        self.postgres = Postgres(folder) if args.postgres else None
        self.rest = TwilioRest(free_port())
        self.web_port = free_port()
        self.processes: list[subprocess.Popen] = []
        self.events: list[str] = []
        self.t0 = time.monotonic()

    def env(self) -> dict[str, str]:
        db_url = self.postgres.url if self.postgres else f"sqlite:///{self.folder}/bench.db"
        return {
            **os.environ,
            "SECRET_KEY": "bench-secret-key-0123456789abcdef0123",
            "DATABASE_URL": db_url,
            "REDIS_URL": self.redis.url,
            "RQ_QUEUE": "faults",
            "PUBLIC_BASE_URL": f"http://127.0.0.1:{self.web_port}",
            "TWILIO_ACCOUNT_SID": ACCOUNT_SID,
            "TWILIO_AUTH_TOKEN": AUTH_TOKEN,
            "TWILIO_API_BASE_URL": self.rest.url,
            "TWILIO_MESSAGING_SERVICE_SID": MESSAGING_SERVICE_SID,
            "VOICEBOX_API_TOKEN": API_TOKEN,
            "MAIL_SERVER": "127.0.0.1",
            "MAIL_PORT": str(self.smtp.port),
            "MAIL_TIMEOUT": "10",
            "MAIL_DEFAULT_SENDER": "voicebox@example.com",
            "VOICEMAIL_TRANSCRIPT_WAIT": "20",
            "NOTIFY_RETRY_INTERVALS": "5,10,20,30,30,30",
            "NOTIFY_CLAIM_TIMEOUT": "60",  # > MAIL_TIMEOUT: a live send is never taken back
            "LOG_LEVEL": "INFO",
        }

    def start(self) -> None:
        self.redis.start()
        self.smtp.start()
        self.rest.start()
        if self.postgres:
            self.postgres.start()
        env = self.env()
        flask = [str(BIN / "flask"), "--app", "wsgi"]
        subprocess.run([*flask, "db", "upgrade"], cwd=ROOT, env=env, check=True, capture_output=True)
        mailbox = ["mailbox", "add", "--name", "Support", "--number", TWILIO_NUMBER, "--email", "team@example.com"]
        subprocess.run([*flask, *mailbox], cwd=ROOT, env=env, check=True, capture_output=True)
        gunicorn = [str(BIN / "gunicorn"), "-w", "4", "-b", f"127.0.0.1:{self.web_port}", "wsgi:app"]
        self._spawn(gunicorn, "web")
        worker = [*flask, "worker", *(["--no-cron"] if self.args.no_sweep else [])]
        self.workers = [self._spawn(worker, f"worker{i}") for i in (1, 2)]
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            try:
                requests.get(f"http://127.0.0.1:{self.web_port}/", timeout=1)
                break
            except requests.RequestException:
                time.sleep(0.2)
        self.t0 = time.monotonic()

    def _spawn(self, command: list[str], name: str) -> subprocess.Popen:
        log = (self.folder / f"{name}.log").open("ab")
        process = subprocess.Popen(command, cwd=ROOT, env=self.env(), stdout=log, stderr=log, start_new_session=True)
        self.processes.append(process)
        return process

    def note(self, what: str) -> None:
        self.events.append(f"t={time.monotonic() - self.t0:5.1f}s  {what}")

    def at(self, seconds: float) -> None:
        time.sleep(max(0.0, self.t0 + seconds - time.monotonic()))

    def faults(self) -> None:
        """The timeline of faults (see the module docstring)."""
        if self.args.kill_in_text_send:
            self.rest.answer_delay = 3.0
        self.at(20)
        busy = self.wait_until_busy(self.workers[0].pid, timeout=15)
        self.rest.answer_delay = 0.0
        pids = descendants(self.workers[0].pid)
        for pid in pids:
            with contextlib.suppress(ProcessLookupError):
                os.kill(pid, signal.SIGKILL)
        state = f"mid-job ({busy})" if busy else "idle (no job came within 15 s)"
        self.note(f"SIGKILL worker1 {state} and its {len(pids) - 1} children; never restarted")
        self.at(40)
        self.redis.kill()
        self.note("Redis killed")
        self.at(70)
        self.redis.start()
        self.note("Redis back, empty")
        self.at(80)
        self.smtp.stop()
        self.note("SMTP stopped")
        if self.postgres:
            self.at(100)
            self.postgres.stop()
            self.note("PostgreSQL stopped")
            self.at(110)
            self.postgres.start()
            self.note("PostgreSQL started")
        self.at(200)
        self.smtp.start()
        self.note("SMTP back")

    def wait_until_busy(self, pid: int, timeout: float) -> str | None:
        """The job a worker process is running, once it runs one (None after `timeout`).

        With --kill-in-text-send, only a text's job that has run for 1 s: creates are answered after
        3 s then, so the worker is inside Twilio's create, which has been recorded.
        """
        connection = redis.Redis(port=self.redis.port)
        deadline = time.monotonic() + timeout
        seen: dict[str, float] = {}
        while time.monotonic() < deadline:
            for worker in Worker.all(connection=connection):
                job = worker.get_current_job_id() if worker.pid == pid else None
                if job and not self.args.kill_in_text_send:
                    return job
                if job and "-message-" in job and time.monotonic() - seen.setdefault(job, time.monotonic()) > 1:
                    return job
            time.sleep(0.01)
        return None

    def stop(self) -> None:
        for process in self.processes:
            for pid in descendants(process.pid):
                with contextlib.suppress(ProcessLookupError):
                    os.kill(pid, signal.SIGTERM if pid == process.pid else signal.SIGKILL)
        for process in self.processes:
            try:
                process.wait(20)
            except subprocess.TimeoutExpired:
                process.kill()
        self.smtp.stop()
        self.rest.stop()
        self.redis.kill()
        if self.postgres:
            with contextlib.suppress(subprocess.CalledProcessError):
                self.postgres.stop()

    def stored(self) -> tuple[int, Counter]:
        engine = sa.create_engine(self.env()["DATABASE_URL"])
        with engine.connect() as connection:
            rows = connection.execute(
                sa.text("SELECT notify_state FROM voicemails WHERE recording_status = 'completed'")
            )
            states = Counter(str(state) for (state,) in rows)
        engine.dispose()
        return sum(states.values()), states


class Texts:
    """200 texts due while the faults happen, some recipients opted out before theirs fall due.

    The n-th text falls due at FIRST_DUE + n * spread / count seconds into the run (voicebox's own
    scheduler sends them: they are inside Twilio's minimum scheduling window). Every tenth recipient
    whose text falls due at least 20 s after OPT_OUT_AT is opted out at OPT_OUT_AT (through the API,
    while Redis is down, so the cancel job cannot be queued and the send-time check must hold).
    """

    FIRST_DUE = 20.0
    SPREAD = 170.0  # the last falls due at t=190 s, while SMTP is still down
    OPT_OUT_AT = 55.0

    def __init__(self, stack: Stack, base: str, count: int) -> None:
        self.stack, self.base, self.count = stack, base, count
        self.due = [self.FIRST_DUE + n * self.SPREAD / max(count, 1) for n in range(count)]
        self.opted = {self.number(n) for n in range(count) if n % 10 == 9 and self.due[n] >= self.OPT_OUT_AT + 20}
        self.opted_out_at: dict[str, float] = {}  # number -> monotonic time its opt-out was answered 201
        self.refused: list[str] = []

    @staticmethod
    def number(n: int) -> str:
        return f"+1415555{n:04d}"

    def create_all(self) -> None:
        """POST /api/messages for every text (each to its own number), 8 at a time."""
        start = datetime.now(UTC) - timedelta(seconds=time.monotonic() - self.stack.t0)
        with ThreadPoolExecutor(8) as pool:
            list(pool.map(lambda n: self._create(n, start + timedelta(seconds=self.due[n])), range(self.count)))
        self.stack.note(f"{self.count} texts created through the API ({len(self.refused)} refused)")

    def _create(self, n: int, send_at: datetime) -> None:
        body = {"to": self.number(n), "body": f"bench text {n}", "send_at": send_at.isoformat()}
        answer = _api(f"{self.base}/api/messages", body)
        if answer is None or answer.status_code != 201:
            self.refused.append(f"{n}: {answer.status_code if answer is not None else 'no answer'}")

    def opt_out(self) -> None:
        """Opt the chosen recipients out at OPT_OUT_AT (retrying until the API records it)."""
        self.stack.at(self.OPT_OUT_AT)
        for number in sorted(self.opted):
            answer = _api(f"{self.base}/api/optouts", {"number": number, "note": "bench"}, until=30)
            if answer is not None and answer.status_code == 201:
                self.opted_out_at[number] = time.monotonic()
        self.stack.note(f"{len(self.opted_out_at)} of {len(self.opted)} recipients opted out through the API")

    def resolved(self) -> bool:
        """Every text sent with its SID stored, or canceled (an interrupted send is not done yet)."""
        sent = {create.to for create in self.stack.rest.creates}
        if len(sent | self.opted) < self.count:
            return False
        engine = sa.create_engine(self.stack.env()["DATABASE_URL"])
        with engine.connect() as connection:
            owed = connection.execute(
                sa.text("SELECT count(*) FROM messages WHERE twilio_sid IS NULL AND status != 'canceled'")
            ).scalar()
        engine.dispose()
        return owed == 0 and all(status == "canceled" for status in self.statuses(self.opted).values())

    def statuses(self, numbers: set[str] | None = None) -> dict[str, str]:
        """to -> status of each text in the database (one text per number)."""
        engine = sa.create_engine(self.stack.env()["DATABASE_URL"])
        with engine.connect() as connection:
            rows = connection.execute(sa.text("SELECT to_number, status FROM messages")).all()
        engine.dispose()
        return {str(to): str(status) for to, status in rows if numbers is None or to in numbers}

    def adopted(self) -> int:
        engine = sa.create_engine(self.stack.env()["DATABASE_URL"])
        with engine.connect() as connection:
            found = connection.execute(sa.text("SELECT count(*) FROM message_events WHERE kind = 'adopted'")).scalar()
        engine.dispose()
        return int(found or 0)

    def stored_sids(self) -> set[str]:
        engine = sa.create_engine(self.stack.env()["DATABASE_URL"])
        with engine.connect() as connection:
            rows = connection.execute(sa.text("SELECT twilio_sid FROM messages WHERE twilio_sid IS NOT NULL")).all()
        engine.dispose()
        return {str(sid) for (sid,) in rows}

    def report(self) -> bool:
        """Print the texts' counts; True when none was lost, sent twice, or sent after its opt-out."""
        creates = list(self.stack.rest.creates)
        sends = Counter(create.to for create in creates)
        statuses = self.statuses()
        once = sum(1 for n in sends.values() if n == 1)
        duplicates = sum(n - 1 for n in sends.values())
        lost = [to for to, status in statuses.items() if not sends[to] and status != "canceled"]
        violated = {c.to for c in creates if c.to in self.opted_out_at and c.at > self.opted_out_at[c.to]}
        honoured = [to for to in self.opted_out_at if to not in violated and statuses.get(to) == "canceled"]
        orphans = [c.sid for c in creates if c.sid not in self.stored_sids()]
        print(f"texts: {len(statuses)} created ({len(self.refused)} refused by the API: {self.refused[:5]})")
        print(f"text states in the database: {dict(Counter(statuses.values()))}")
        print(f"texts sent exactly once: {once}  sent twice (duplicates): {duplicates}  lost: {len(lost)} {lost[:5]}")
        print(
            f"texts adopted (found at Twilio after an interrupted send, not sent again): {self.adopted()};"
            f" created at Twilio but no row holds the SID: {len(orphans)}"
        )
        print(
            f"opt-outs: {len(self.opted_out_at)} recorded, {len(honoured)} honoured, {len(violated)} violated"
            f" (a text created at Twilio after the opt-out was recorded)"
        )
        return (
            not lost
            and not duplicates
            and not violated
            and not self.refused
            and len(statuses) == self.count
            and len(self.opted_out_at) == len(self.opted)
        )


def _api(url: str, body: dict, until: float = 0) -> requests.Response | None:
    """POST JSON to our API, retrying a 5xx or a refused connection for `until` seconds."""
    deadline = time.monotonic() + until
    while True:
        try:
            answer: requests.Response | None = requests.post(url, json=body, headers=API_HEADERS, timeout=15)
        except requests.RequestException:
            answer = None
        if (answer is not None and answer.status_code < 500) or time.monotonic() >= deadline:
            return answer
        time.sleep(1)


def run(args: argparse.Namespace) -> int:
    folder = Path(tempfile.mkdtemp(prefix="voicebox-faults-"))
    os.chmod(folder, 0o755)  # the postgres user reaches its cluster below it
    stack = Stack(args, folder)
    tally = Tally()
    rng = random.Random(args.seed)
    try:
        stack.start()
        base = f"http://127.0.0.1:{stack.web_port}"
        twilio = Twilio(base, tally)
        faults = threading.Thread(target=stack.faults, daemon=True)
        faults.start()
        texts = Texts(stack, base, args.texts)
        texting = [threading.Thread(target=texts.create_all), threading.Thread(target=texts.opt_out)]
        for thread in texting:
            thread.start()
        gap = args.spread / args.count
        seeds = [rng.randrange(2**32) for _ in range(args.count)]

        def caller(n: int) -> None:
            stack.at(n * gap)
            leave_voicemail(twilio, n, random.Random(seeds[n]), base)

        with ThreadPoolExecutor(args.concurrency) as pool:
            list(pool.map(caller, range(args.count)))
        stack.note("all callbacks posted")
        faults.join()
        for thread in texting:
            thread.join()
        deadline = time.monotonic() + args.settle
        settled = False
        while not settled and time.monotonic() < deadline:
            time.sleep(1)
            settled = len(stack.inbox.accepted) >= args.count and texts.resolved()
        stack.note("settled" if settled else "gave up waiting")
        time.sleep(5)  # a late duplicate would show now
        return report(args, stack, tally, texts)
    finally:
        stack.stop()
        if not args.keep:
            shutil.rmtree(folder, ignore_errors=True)
        else:
            print(f"logs kept in {folder}")


def report(args: argparse.Namespace, stack: Stack, tally: Tally, texts: Texts) -> int:
    stored, states = stack.stored()
    emailed = len(stack.inbox.accepted)
    duplicates = sum(n - 1 for n in stack.inbox.accepted.values())
    lost = args.count - emailed
    database = "PostgreSQL (private cluster, restarted once)" if args.postgres else "SQLite"
    print(f"fault run: {args.count} voicemails on {database}, sweep {'OFF' if args.no_sweep else 'on'}")
    for event in stack.events:
        print(f"  {event}")
    answers = ", ".join(f"{path} {status}: {n}" for (path, status), n in sorted(tally.answers.items(), key=str))
    print(f"webhook answers (after Twilio-style retries): {answers}")
    print(f"caller-facing answers that were not TwiML: {len(tally.not_twiml)}")
    print(f"callbacks Twilio would have given up on: {len(tally.given_up)}")
    print(f"notify states in the database: {dict(states)}")
    logs = "".join((stack.folder / f"worker{i}.log").read_text(errors="replace") for i in (1, 2))
    parked = (stack.folder / "web.log").read_text(errors="replace").count("webhook parked for replay")
    replayed = sum(int(n) for n in re.findall(r"'parked_webhooks': (\d+)", logs))
    print(f"webhooks parked while the database was down: {parked}, replayed by the sweep: {replayed}")
    outages, recoveries = logs.count("Redis unreachable"), logs.count("Redis back")
    print(f"worker logs: {outages} 'Redis unreachable' lines, {recoveries} 'Redis back' lines")
    print(f"stored: {stored}  emailed: {emailed}  duplicates: {duplicates}  lost: {lost}")
    texts_ok = texts.report()
    ok = lost == 0 and duplicates == 0 and not tally.not_twiml and texts_ok
    print("PASS" if ok else "FAIL")
    return 0 if ok else 1


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--count", type=int, default=200, help="voicemails to leave")
    parser.add_argument("--texts", type=int, default=200, help="texts falling due during the faults")
    parser.add_argument("--spread", type=float, default=120, help="seconds over which the calls arrive")
    parser.add_argument("--concurrency", type=int, default=64, help="callers at once")
    parser.add_argument("--postgres", action="store_true", help="a private PostgreSQL cluster, restarted once")
    parser.add_argument(
        "--kill-in-text-send",
        action="store_true",
        help="kill worker1 after Twilio accepted a text and before its SID is stored (about 12 minutes)",
    )
    parser.add_argument("--no-sweep", action="store_true", help="workers without the sweep: the run should fail")
    # A send interrupted by the SIGKILL holds its row for delivery.CLAIM_LEASE (10 min) before the
    # sweep retries it, so the wait must outlast that lease; the run ends as soon as all is done.
    parser.add_argument("--settle", type=float, default=600, help="seconds to wait for emails and texts after faults")
    parser.add_argument("--seed", type=int, default=10)
    parser.add_argument("--keep", action="store_true", help="keep the run's folder (logs)")
    sys.exit(run(parser.parse_args()))


if __name__ == "__main__":
    main()
