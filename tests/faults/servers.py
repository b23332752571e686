"""Processes a fault test (or bench/faults.py) can kill and start again: a private redis-server and
`flask worker`."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path

import redis

from tests.support import REPO, free_port

REDIS_SERVER = "/usr/bin/redis-server"


class RedisServer:
    """A redis-server on a private port that keeps nothing on disk, so each start comes back empty."""

    def __init__(self, folder: Path, port: int | None = None) -> None:
        self.folder = folder
        self.port = port or free_port()
        self.process: subprocess.Popen | None = None

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"

    def start(self) -> None:
        """Start it and wait until it answers PING."""
        args = [REDIS_SERVER, "--port", str(self.port), "--bind", "127.0.0.1", "--dir", str(self.folder)]
        args += ["--save", "", "--appendonly", "no"]
        self.process = subprocess.Popen(
            args, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True
        )
        client = redis.Redis(port=self.port, socket_connect_timeout=0.5)
        deadline = time.monotonic() + 10
        while True:
            try:
                client.ping()
                return
            except redis.ConnectionError:
                assert time.monotonic() < deadline, "redis-server did not start"
                time.sleep(0.05)

    def kill(self) -> None:
        """SIGKILL it, as a crash would: whatever it held is gone."""
        if self.process is not None:
            self.process.kill()
            self.process.wait(10)
            self.process = None


def worker_env(app, **extra: str) -> dict[str, str]:
    """The app's settings as environment variables, for a `flask worker` subprocess."""
    from voicebox.config import SETTINGS

    env = {k: v for k, v in os.environ.items() if k not in SETTINGS}
    for name in SETTINGS:
        value = app.config.get(name)
        if value is None:
            continue
        if isinstance(value, bool):
            value = "true" if value else "false"
        elif isinstance(value, list):
            value = ",".join(map(str, value))
        env[name] = str(value)
    return env | extra


def start_worker(env: dict[str, str], log_path: Path, *args: str) -> subprocess.Popen:
    """`flask --app wsgi worker` in its own process group (so a kill reaches its horse and cron too)."""
    return subprocess.Popen(
        [sys.executable, "-m", "flask", "--app", "wsgi", "worker", *args],
        cwd=REPO,
        env=env,
        stdout=log_path.open("ab"),
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )
