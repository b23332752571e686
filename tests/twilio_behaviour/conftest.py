"""Fixtures for the tests that hold voicebox to Twilio's documented behaviour (issue 9).

The shared fixtures (app, client, twilio, make_app, prism) come from tests/conftest.py.
"""

from __future__ import annotations

import pytest

from tests.support import Twilio

PUBLIC = "https://voicebox.example.com"


@pytest.fixture
def public_app(make_app, prism):
    """The app behind a public URL, its Twilio client talking to Prism (Twilio's spec)."""
    app = make_app(TWILIO_HTTP_CLIENT=prism, PUBLIC_BASE_URL=PUBLIC)
    with app.app_context():
        yield app


@pytest.fixture
def signed(public_app) -> Twilio:
    """Posts webhooks to `public_app` signed as Twilio signs them for PUBLIC."""
    return Twilio(public_app.test_client(), public_base=PUBLIC)
