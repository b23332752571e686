"""Transcripts and languages: the app mails through a real SMTP server, fetches recordings from the
Twilio stand-in and sits behind PUBLIC (webhooks signed for it), as in tests/notifications."""

from __future__ import annotations

import pytest

from tests.notifications.steps import PUBLIC, notify_settings
from tests.support import Twilio


@pytest.fixture
def app(make_app, smtp_server, standin):
    app = make_app(**notify_settings(smtp_server, standin))
    with app.app_context():
        yield app


@pytest.fixture
def twilio(client):
    return Twilio(client, public_base=PUBLIC)
