"""`flask worker`'s process: an RQ worker, its scheduler and the sweep cron, riding out Redis outages.

RQ quits its work loop when Redis goes away mid-job ("found an unhandled exception, quitting"),
cannot start while Redis is down, and its scheduler and `CronScheduler` processes die with the
first Redis error (the worker restarts its scheduler only in its maintenance, every 10 minutes by
default). A worker that quits for good leaves jobs queued with nobody to run them, so here an
outer loop builds a fresh worker (and scheduler) each time Redis comes back, the cron process
loops the same way, and SIGTERM/SIGINT still stop everything.
"""

from __future__ import annotations

import contextlib
import logging
import multiprocessing
import signal
import time
from types import FrameType

import redis
from redis import Redis
from rq import Worker
from rq.cron import CronScheduler
from rq.exceptions import StopRequested

from .extensions import db

log = logging.getLogger(__name__)

SWEEP_INTERVAL_SECONDS = 60
# What an unreachable Redis raises (a refused connect is an OSError inside redis-py at times).
REDIS_DOWN = (redis.exceptions.ConnectionError, redis.exceptions.TimeoutError, OSError)
# RQ blocks on the queue for worker_ttl - 15 s and runs its maintenance (which restarts a dead
# scheduler and our cron) between blocks: 60 s and 60 s bring both back within about two minutes.
WORKER_TTL = 75
MAINTENANCE_INTERVAL = 60


class Outage:
    """Paces reconnects (1 s doubling to 30 s) and logs an outage once when it starts and once when it ends."""

    def __init__(self, what: str) -> None:
        self.what = what
        self.since: float | None = None
        self.delay = 1.0

    def failed(self, exc: BaseException) -> None:
        """Note a failed try and sleep before the next."""
        if self.since is None:
            self.since = time.monotonic()
            log.warning("%s: Redis unreachable (%s); retrying with backoff", self.what, exc)
        time.sleep(self.delay)
        self.delay = min(self.delay * 2, 30.0)

    def over(self) -> None:
        """Redis answered: log the end of an outage, if there was one."""
        if self.since is not None:
            log.warning("%s: Redis back after %.0f s", self.what, time.monotonic() - self.since)
        self.since, self.delay = None, 1.0


class Stopping:
    """Set by SIGTERM/SIGINT: a real shutdown, which the loops must not mistake for an outage."""

    requested = False

    @classmethod
    def install(cls) -> None:
        """Our handler for the moments outside RQ's work loop (waiting for Redis, between workers)."""
        signal.signal(signal.SIGTERM, cls.handle)
        signal.signal(signal.SIGINT, cls.handle)

    @classmethod
    def handle(cls, signum: int, frame: FrameType | None) -> None:
        cls.requested = True
        raise StopRequested()


class CronProcess:
    """The forked process that enqueues the sweep every minute; restarted if it died."""

    def __init__(self, redis_url: str, queue_name: str) -> None:
        self.args = (redis_url, queue_name)
        self.process: multiprocessing.process.BaseProcess | None = None

    def ensure(self) -> None:
        """Start the process unless it is alive."""
        if self.process is not None and self.process.is_alive():
            return
        if self.process is not None:
            log.warning("sweep cron process %s had died; starting a new one", self.process.pid)
        process = multiprocessing.get_context("fork").Process(target=run_cron, args=self.args, daemon=True)
        process.start()
        self.process = process

    def stop(self) -> None:
        if self.process is not None and self.process.is_alive():
            self.process.terminate()
            self.process.join(10)


class AppWorker(Worker):
    """An RQ worker whose work horses open their own database connections, and whose maintenance
    also keeps the sweep cron alive."""

    cron: CronProcess | None = None

    def main_work_horse(self, job, queue):
        # A forked child must not reuse the parent's pooled sockets (SQLAlchemy's documented fork rule).
        db.engine.dispose(close=False)
        return super().main_work_horse(job, queue)

    def request_stop(self, signum, frame):
        Stopping.requested = True
        super().request_stop(signum, frame)

    def run_maintenance_tasks(self):
        super().run_maintenance_tasks()
        if self.cron is not None:
            self.cron.ensure()


def work_forever(connection: Redis, queues: list, burst: bool = False, cron: CronProcess | None = None) -> None:
    """Run RQ workers (with their scheduler) one after another until SIGTERM/SIGINT or, in burst
    mode, an empty queue; a Redis outage only pauses the loop."""
    outage = Outage("worker")
    AppWorker.cron = cron
    while not Stopping.requested:
        Stopping.install()
        worker = None
        try:
            connection.ping()
            outage.over()
            if cron is not None:
                cron.ensure()
            worker = AppWorker(
                queues, connection=connection, worker_ttl=WORKER_TTL, maintenance_interval=MAINTENANCE_INTERVAL
            )
            worker.work(burst=burst, with_scheduler=True)
            if burst:
                return
            if not Stopping.requested:
                outage.failed(RuntimeError("the RQ worker quit"))  # RQ breaks its loop on Redis errors
        except StopRequested:
            return
        except REDIS_DOWN as exc:
            if Stopping.requested:
                return
            _discard(worker)
            try:
                outage.failed(exc)
            except StopRequested:
                return


def _discard(worker: AppWorker | None) -> None:
    """Stop what a worker that died with Redis left running: its pub/sub thread and its scheduler."""
    if worker is None:
        return
    with contextlib.suppress(Exception):  # best effort: the thread dies with its connection anyway
        worker.unsubscribe()
    if worker.scheduler is not None and worker.scheduler._process is not None:
        worker.scheduler._process.terminate()


class AppCron(CronScheduler):
    """RQ's cron scheduler, telling our loop that a SIGTERM/SIGINT is a shutdown."""

    def _request_stop(self, signum, frame):
        Stopping.requested = True
        super()._request_stop(signum, frame)


def run_cron(redis_url: str, queue_name: str) -> None:
    """RQ's cron scheduler enqueueing the sweep every minute, started again after each Redis outage."""
    from .jobs import sweep

    outage = Outage("sweep cron")
    Stopping.requested = False  # forked from a worker: its flag is not ours
    while not Stopping.requested:
        Stopping.install()
        try:
            connection = Redis.from_url(redis_url, socket_connect_timeout=2, socket_timeout=5)
            connection.ping()
            outage.over()
            cron = AppCron(connection=connection)
            cron.register(sweep, queue_name=queue_name, interval=SWEEP_INTERVAL_SECONDS)
            cron.start()  # returns on SIGTERM/SIGINT; raises on a Redis error
        except StopRequested:
            return
        except REDIS_DOWN as exc:
            if Stopping.requested:
                return
            try:
                outage.failed(exc)
            except StopRequested:
                return
