"""Secrets: strong or refused, never printed or echoed, files readable by their owner only."""

from __future__ import annotations

import os
import pty
import select
import shutil
import signal
import stat
import subprocess
import time
from pathlib import Path

import pytest

from tests.support import ACCOUNT_SID, API_TOKEN, AUTH_TOKEN, SECRET_KEY
from voicebox import create_app
from voicebox.config import ConfigError

ROOT = Path(__file__).resolve().parents[2]
WEAK = ["", "test-secret", "test-api-token", "changeme", "x" * 64, "ab" * 20]


def settings(tmp_path, **extra) -> dict:
    return {
        "SECRET_KEY": SECRET_KEY,
        "TWILIO_ACCOUNT_SID": ACCOUNT_SID,
        "TWILIO_AUTH_TOKEN": AUTH_TOKEN,
        "VOICEBOX_API_TOKEN": API_TOKEN,
        "REDIS_URL": "redis://127.0.0.1:1/0",
        "DATABASE_URL": f"sqlite:///{tmp_path / 'x.db'}",
        "INSTANCE_PATH": str(tmp_path / "instance"),
        **extra,
    }


@pytest.mark.parametrize("name", ["SECRET_KEY", "VOICEBOX_API_TOKEN"])
@pytest.mark.parametrize("value", WEAK)
def test_weak_secrets_passed_in_code_are_refused(tmp_path, name, value):
    with pytest.raises(ConfigError, match=f"{name} is too weak"):
        create_app(settings(tmp_path, **{name: value}))


def test_empty_token_never_opens_the_api(app, client):
    app.config["VOICEBOX_API_TOKEN"] = ""  # as if set after start-up, past the config check
    for header in ("Bearer ", "Bearer", "bearer  "):
        assert client.get("/api/mailboxes", headers={"Authorization": header}).status_code == 401
    assert client.get("/api/mailboxes").status_code == 401


def test_sqlite_file_is_readable_by_its_owner_only(tmp_path):
    instance = tmp_path / "instance"
    instance.mkdir()
    (instance / "voicebox.db").touch(mode=0o644)  # as an older version left it
    os.chmod(instance / "voicebox.db", 0o644)
    create_app(settings(tmp_path, DATABASE_URL=None))
    assert stat.S_IMODE((instance / "voicebox.db").stat().st_mode) == 0o600
    fresh = tmp_path / "fresh"
    create_app(settings(tmp_path, DATABASE_URL=None, INSTANCE_PATH=str(fresh)))
    assert stat.S_IMODE((fresh / "voicebox.db").stat().st_mode) == 0o600


@pytest.fixture
def run_copy(tmp_path) -> Path:
    """scripts/run in a scratch checkout (sharing this virtualenv), so it writes a fresh .env."""
    for name in ("scripts/run", ".env.example", "requirements.txt"):
        (tmp_path / name).parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(ROOT / name, tmp_path / name)
    (tmp_path / ".venv").symlink_to(ROOT / ".venv")
    return tmp_path


def test_run_tightens_an_existing_env(run_copy):
    (run_copy / ".env").write_text("SECRET_KEY=x\n")
    os.chmod(run_copy / ".env", 0o644)
    subprocess.run(["bash", "scripts/run"], cwd=run_copy, stdin=subprocess.DEVNULL, capture_output=True, timeout=120)
    assert stat.S_IMODE((run_copy / ".env").stat().st_mode) == 0o600


def test_run_does_not_echo_the_auth_token(run_copy):
    """On a terminal scripts/run asks for the Twilio credentials; the auth token is not echoed.

    Once both answers are in .env the run would go on to start voicebox: the test stops it there.
    (tests/cli/test_scripts_run.py covers a whole run without a terminal.)
    """
    secret = "f00dfacecafe1234f00dfacecafe1234"
    pid, fd = pty.fork()
    if pid == 0:  # the child: scripts/run on a terminal
        os.chdir(run_copy)
        os.execvp("bash", ["bash", "scripts/run"])
    seen = b""
    prompts = [(b"TWILIO_ACCOUNT_SID: ", b"AC" + b"1" * 32 + b"\n"), (b"(not shown): ", secret.encode() + b"\n")]
    env = run_copy / ".env"
    try:
        deadline = time.monotonic() + 120
        while time.monotonic() < deadline:
            if not prompts and env.exists() and f"TWILIO_AUTH_TOKEN={secret}" in env.read_text():
                break
            ready, _, _ = select.select([fd], [], [], 1)
            if not ready:
                continue
            try:
                chunk = os.read(fd, 4096)
            except OSError:
                break
            if not chunk:
                break
            seen += chunk
            if prompts and seen.endswith(prompts[0][0]):
                os.write(fd, prompts.pop(0)[1])
    finally:
        os.killpg(pid, signal.SIGKILL)
        os.waitpid(pid, 0)
    assert not prompts, seen.decode(errors="replace")
    assert secret.encode() not in seen
    assert f"TWILIO_AUTH_TOKEN={secret}" in env.read_text()
    assert stat.S_IMODE(env.stat().st_mode) == 0o600
