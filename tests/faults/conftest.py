"""Fault tests: real processes (`flask worker`, redis-server) killed and started again mid-work."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.faults.servers import RedisServer
from tests.notifications.steps import PUBLIC, notify_settings
from tests.support import Twilio
from tests.support.builders import make_mailbox


@pytest.fixture
def redis_server(tmp_path) -> Iterator[RedisServer]:
    """A private redis-server this test may kill and start again (empty)."""
    server = RedisServer(tmp_path)
    server.start()
    yield server
    server.kill()


@pytest.fixture
def app(make_app, smtp_server, standin):
    """The notification tests' app: real SMTP, the stand-in Twilio host, PUBLIC_BASE_URL, fast retries."""
    app = make_app(**notify_settings(smtp_server, standin))
    with app.app_context():
        yield app


@pytest.fixture
def twilio(client):
    """Signed for PUBLIC_BASE_URL, as Twilio signs when the app sits behind a proxy."""
    return Twilio(client, public_base=PUBLIC)


@pytest.fixture
def mailbox(app):
    return make_mailbox(emails=["owner@example.com"], forward_to=[])


@pytest.fixture
def db_down(app):
    """The same app, but its database cannot be reached (as during a restart): same Redis, queue,
    SMTP and public URL, so what it parks or enqueues is the healthy app's to pick up."""
    from voicebox import create_app
    from voicebox.config import SETTINGS

    settings = {name: app.config[name] for name in SETTINGS if name in app.config}
    down = create_app(settings | {"TESTING": True, "DATABASE_URL": "sqlite:////nonexistent-voicebox-dir/down.db"})
    return down
