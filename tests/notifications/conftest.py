"""Notification tests: the app mails through a real SMTP server, fetches recordings from the Twilio
stand-in, sits behind PUBLIC (webhooks signed for it) and retries fast; `mailbox` is a two-person team."""

from __future__ import annotations

import pytest

from tests.notifications.steps import PUBLIC, notify_settings
from tests.support import Twilio
from tests.support.builders import OWNER_CELL, OWNER_DESK, make_mailbox


@pytest.fixture
def app(make_app, smtp_server, standin):
    app = make_app(**notify_settings(smtp_server, standin))
    with app.app_context():
        yield app


@pytest.fixture
def twilio(client):
    """Signed for PUBLIC_BASE_URL, as Twilio signs when the app sits behind a proxy."""
    return Twilio(client, public_base=PUBLIC)


@pytest.fixture
def mailbox(app):
    return make_mailbox(
        emails=["owner@example.com", "desk@example.com"],
        forward_to=[OWNER_CELL, OWNER_DESK],
        # Sequential: these tests are about the emails, not about ringing phones through the REST API.
        ring_mode="sequential",
        timezone="America/Los_Angeles",
    )
