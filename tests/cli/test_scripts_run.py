"""`./scripts/run` with no terminal and no Twilio credentials: it starts in local try-out mode, answers on
its port within a bounded time, and SIGTERM stops everything it started (the embedded Redis included)."""

from __future__ import annotations

import os
import shutil
import signal
import stat
import subprocess
import time
from pathlib import Path

import psutil
import pytest
import requests

from tests.support import REPO, free_port
from voicebox.config import SETTINGS

START_TIMEOUT = 180  # pip's no-op check, three flask commands and gunicorn on a loaded 2-core machine
COPIED = ["scripts", "voicebox", "templates", "wsgi.py", "requirements.txt", ".env.example"]


@pytest.fixture
def checkout(tmp_path) -> Path:
    """A copy of the project (sharing its .venv), so the run writes .env and instance/ there."""
    if not (REPO / ".venv" / "bin" / "python").exists():
        pytest.skip("scripts/run needs the project's .venv (scripts/test creates it)")
    root = tmp_path / "voicebox"
    root.mkdir()
    for name in COPIED:
        source = REPO / name
        if source.is_dir():
            shutil.copytree(source, root / name, ignore=shutil.ignore_patterns("__pycache__"))
        else:
            shutil.copy2(source, root / name)
    (root / ".venv").symlink_to((REPO / ".venv").resolve())
    return root


def owned_processes(root: Path, script: psutil.Process) -> list[psutil.Process]:
    """The run's children, and the redis-server it daemonized (found by its socket in our folder)."""
    found = script.children(recursive=True)
    for process in psutil.process_iter(["cmdline"]):
        if any(str(root) in part for part in process.info["cmdline"] or []):
            found.append(process)
    return found


def test_first_run_without_terminal_or_credentials(checkout):
    port = free_port()
    env = {k: v for k, v in os.environ.items() if k not in SETTINGS and not k.startswith(("FLASK_", "PYTEST"))}
    env |= {"PORT": str(port)}
    log = checkout / "run.log"
    with open(log, "wb") as out:
        run = subprocess.Popen(
            ["bash", "scripts/run"],
            cwd=checkout,
            env=env,
            stdin=subprocess.DEVNULL,
            stdout=out,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    seen: list[psutil.Process] = []
    try:
        deadline = time.monotonic() + START_TIMEOUT
        while True:
            assert run.poll() is None, f"scripts/run exited with {run.returncode}:\n{log.read_text()[-3000:]}"
            try:
                answer = requests.get(f"http://127.0.0.1:{port}/api/openapi.json", timeout=2)
                break
            except requests.RequestException:
                assert time.monotonic() < deadline, f"no answer within {START_TIMEOUT}s:\n{log.read_text()[-3000:]}"
                time.sleep(0.5)
        assert answer.status_code == 200
        output = log.read_text()
        assert output.count("voicebox: local try-out mode (no Twilio credentials)") == 1
        assert "Created the first admin: sign in at" in output and "admin@localhost with password " in output
        dotenv = (checkout / ".env").read_text()
        assert stat.S_IMODE(os.stat(checkout / ".env").st_mode) == 0o600
        assert "TWILIO_AUTH_TOKEN=local-" in dotenv
        token = next(line.split("=", 1)[1] for line in dotenv.splitlines() if line.startswith("VOICEBOX_API_TOKEN="))
        assert len(token) >= 32 and token not in output  # never printed; the run says how to read it
        assert "grep VOICEBOX_API_TOKEN .env" in output
        assert "TWILIO_ACCOUNT_SID=\n" in dotenv
        seen = owned_processes(checkout, psutil.Process(run.pid))
        assert any("redis-server" in " ".join(p.cmdline()) for p in seen), "the embedded Redis is not running"

        run.send_signal(signal.SIGTERM)
        run.wait(timeout=60)
        gone, alive = psutil.wait_procs(seen, timeout=30)
        assert alive == [], f"still running after SIGTERM: {[p.cmdline() for p in alive]}"
        assert not (checkout / "instance" / "redis.sock").exists() or not _answers(checkout)
    finally:
        if run.poll() is None:
            os.killpg(run.pid, signal.SIGKILL)
        for process in seen:
            if process.is_running():
                process.kill()


def _answers(root: Path) -> bool:
    import redis

    try:
        return bool(redis.Redis(unix_socket_path=str(root / "instance" / "redis.sock"), socket_timeout=1).ping())
    except (redis.RedisError, OSError):
        return False
