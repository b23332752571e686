"""Transcripts and languages: the app mails through a real SMTP server, fetches recordings from the
Twilio stand-in and sits behind PUBLIC (webhooks signed for it), as in tests/notifications."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.notifications.steps import PUBLIC, notify_settings
from tests.support import Twilio
from tests.transcripts.speech_api import SpeechApi


@pytest.fixture
def settings(smtp_server, standin) -> dict:
    """The app's settings; a module overrides this fixture to add its own (e.g. the engine)."""
    return notify_settings(smtp_server, standin)


@pytest.fixture
def app(make_app, settings):
    app = make_app(**settings)
    with app.app_context():
        yield app


@pytest.fixture
def twilio(client):
    return Twilio(client, public_base=PUBLIC)


@pytest.fixture
def speech_api() -> Iterator[SpeechApi]:
    """The OpenAI-compatible speech-to-text stand-in on loopback."""
    api = SpeechApi()
    yield api
    api.close()
