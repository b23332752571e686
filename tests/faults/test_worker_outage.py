"""`flask worker` rides out a Redis outage: it waits, reconnects, and brings its scheduler and the
sweep cron back, logging the outage once; SIGTERM still stops it."""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import time
from datetime import timedelta

from rq import Queue
from rq.cron import CronScheduler
from rq.job import JobStatus

from tests.faults.jobs import sleep_then_touch, touch
from tests.faults.servers import start_worker, worker_env
from voicebox.queueing import get_redis


def wait_for(condition, timeout: float, what: str) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, f"gave up waiting for {what}"
        time.sleep(0.1)


def stop(worker: subprocess.Popen) -> None:
    """Leave nothing running: the worker's whole process group (horse, scheduler, cron)."""
    with contextlib.suppress(ProcessLookupError):
        os.killpg(worker.pid, signal.SIGKILL)
    worker.wait(10)


def test_worker_survives_redis_killed_mid_job(make_app, redis_server, tmp_path):
    app = make_app(REDIS_URL=redis_server.url)
    log = tmp_path / "worker.log"
    with app.app_context():
        queue = Queue(app.config["RQ_QUEUE"], connection=get_redis())
        worker = start_worker(worker_env(app, LOG_LEVEL="INFO"), log)
        try:
            job = queue.enqueue(sleep_then_touch, 4, str(tmp_path / "slow"))
            wait_for(lambda: job.get_status(refresh=True) == JobStatus.STARTED, 30, "the slow job to start")

            redis_server.kill()  # mid-job: RQ's horse monitor meets a dead connection
            time.sleep(6)
            assert worker.poll() is None, log.read_text()
            redis_server.start()  # back, and empty

            queue.enqueue(touch, str(tmp_path / "after"))
            queue.enqueue_in(timedelta(seconds=2), touch, str(tmp_path / "scheduled"))
            wait_for(lambda: (tmp_path / "after").exists(), 40, "a job enqueued after the outage")
            wait_for(lambda: (tmp_path / "scheduled").exists(), 40, "a scheduled job (RQ's scheduler is back)")
            # The cron sleeps up to a minute between beats, so it may only notice the outage then.
            wait_for(lambda: CronScheduler.all(get_redis()), 90, "the sweep cron to register again")
            assert worker.poll() is None

            text = log.read_text()
            assert text.count("worker: Redis unreachable") == 1, text
            assert text.count("worker: Redis back after") == 1, text
            worker.send_signal(signal.SIGTERM)
            assert worker.wait(30) == 0, log.read_text()
        finally:
            stop(worker)


def test_worker_started_while_redis_is_down_waits_for_it(make_app, redis_server, tmp_path):
    app = make_app(REDIS_URL=redis_server.url)
    log = tmp_path / "worker.log"
    redis_server.kill()
    worker = start_worker(worker_env(app, LOG_LEVEL="INFO"), log)
    try:
        time.sleep(4)
        assert worker.poll() is None, log.read_text()
        redis_server.start()
        with app.app_context():
            Queue(app.config["RQ_QUEUE"], connection=get_redis()).enqueue(touch, str(tmp_path / "ran"))
        wait_for(lambda: (tmp_path / "ran").exists(), 40, "the job")
        worker.send_signal(signal.SIGTERM)
        assert worker.wait(30) == 0, log.read_text()
    finally:
        stop(worker)


def test_sigterm_stops_a_worker_waiting_for_redis(make_app, redis_server, tmp_path):
    app = make_app(REDIS_URL=redis_server.url)
    log = tmp_path / "worker.log"
    worker = start_worker(worker_env(app, LOG_LEVEL="INFO"), log)
    time.sleep(3)
    redis_server.kill()
    time.sleep(3)
    assert worker.poll() is None, log.read_text()  # waiting for Redis, not gone
    worker.send_signal(signal.SIGTERM)
    try:
        worker.wait(30)  # stopped, not looping on the outage
    finally:
        stop(worker)
