"""`flask doctor`: one line per check on real parts (database, Redis, RQ, SMTP, Prism), exit 1 on a failure."""

from __future__ import annotations

import pytest
from rq import Worker

from tests.support import API_TOKEN, SECRET_KEY, free_port
from voicebox import create_app
from voicebox.queueing import get_queue, get_redis


@pytest.fixture
def live_worker(app):
    """A worker registered the way `flask worker` registers (birth and heartbeat in Redis)."""
    worker = Worker([get_queue()], connection=get_redis())
    worker.register_birth()
    worker.heartbeat()
    yield worker
    worker.register_death()


def lines(output: str) -> dict[str, str]:
    """check name -> its line."""
    return {line.split()[1]: line for line in output.splitlines() if line.strip()}


def doctor(app):
    with app.app_context():
        return app.test_cli_runner().invoke(args=["doctor"])


def test_all_good(make_app, smtp_server, prism):
    app = make_app(**smtp_server.settings(), TWILIO_HTTP_CLIENT=prism, PUBLIC_BASE_URL="https://vb.example.com")
    with app.app_context():
        worker = Worker([get_queue()], connection=get_redis())
        worker.register_birth()
        worker.heartbeat()
    try:
        result = doctor(app)
    finally:
        worker.register_death()
    assert result.exit_code == 0, result.output
    checks = lines(result.output)
    assert list(checks) == ["settings", "database", "redis", "worker", "smtp", "twilio"]
    assert all(line.startswith("ok ") for line in checks.values()), result.output
    assert "1 live worker(s)" in checks["worker"]
    assert f"{smtp_server.host}:{smtp_server.port} answers EHLO" in checks["smtp"]
    # The account was fetched from Prism, which checked the request against Twilio's spec.
    assert any(e.path.endswith("/Accounts/AC" + "0" * 32 + ".json") and e.accepted_by_prism for e in prism.exchanges)


def test_failures_say_what_to_do_and_exit_1(make_app):
    app = make_app(MAIL_SERVER="127.0.0.1", MAIL_PORT=free_port(), TWILIO_ACCOUNT_SID=None)
    result = doctor(app)
    assert result.exit_code == 1
    checks = lines(result.output)
    assert checks["worker"].startswith("FAIL") and "start `flask --app wsgi worker`" in checks["worker"]
    assert checks["smtp"].startswith("FAIL") and "check MAIL_SERVER and MAIL_PORT" in checks["smtp"]
    assert checks["twilio"].startswith("warn") and "local try-out mode" in checks["twilio"]
    assert checks["database"].startswith("ok") and checks["redis"].startswith("ok")


def test_unmigrated_database_fails(redis_url, tmp_path):
    app = create_app(
        {
            "SECRET_KEY": SECRET_KEY,
            "TWILIO_AUTH_TOKEN": "t",
            "VOICEBOX_API_TOKEN": API_TOKEN,
            "REDIS_URL": redis_url,
            "DATABASE_URL": f"sqlite:///{tmp_path / 'never-migrated.db'}",
            "INSTANCE_PATH": str(tmp_path),
        }
    )
    result = doctor(app)
    assert result.exit_code == 1
    assert "run `flask db upgrade`" in lines(result.output)["database"], result.output


def test_without_mail_server_emails_are_kept(make_app, live_worker):
    result = doctor(make_app(MAIL_SERVER=None))
    assert lines(result.output)["smtp"].startswith("warn")
    assert "kept in" in lines(result.output)["smtp"]
