"""Text tests: by default the app sends through Prism (Twilio's REST API from its OpenAPI spec), behind
PUBLIC, and webhooks are signed for PUBLIC as Twilio signs them behind a proxy. Modules needing another
app (SMTP for incoming texts, no Prism for Conversations) override `app` themselves."""

from __future__ import annotations

import pytest

from tests.support import Twilio
from tests.texts.steps import PUBLIC, SERVICE


@pytest.fixture
def app(make_app, prism):
    """The app with its Twilio client talking to Prism through the recording layer."""
    app = make_app(TWILIO_HTTP_CLIENT=prism, PUBLIC_BASE_URL=PUBLIC, TWILIO_MESSAGING_SERVICE_SID=SERVICE)
    with app.app_context():
        yield app


@pytest.fixture
def twilio(client):
    """Signed for PUBLIC_BASE_URL, as Twilio signs when the app sits behind a proxy."""
    return Twilio(client, public_base=PUBLIC)
