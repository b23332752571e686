"""Web page tests: the Flask test client with CSRF on (as in production), users in two mailboxes, and the
Twilio stand-in serving recordings (with Range) at TWILIO_API_BASE_URL; voicemails arrive through signed
webhooks as Twilio leaves them. Shared steps live in tests/web/steps.py."""

from __future__ import annotations

from types import SimpleNamespace

import pytest

from tests.support import Twilio
from tests.support.builders import make_mailbox
from tests.web.steps import PASSWORD, PUBLIC, SALES_NUMBER, SERVICE
from voicebox.services import users


@pytest.fixture
def app(make_app, standin):
    app = make_app(
        TWILIO_API_BASE_URL=standin.base_url,
        PUBLIC_BASE_URL=PUBLIC,
        TWILIO_MESSAGING_SERVICE_SID=SERVICE,
        WTF_CSRF_ENABLED=True,  # the default, said out loud: these tests send real tokens
    )
    with app.app_context():
        yield app


@pytest.fixture
def twilio(client):
    return Twilio(client, public_base=PUBLIC)


@pytest.fixture
def team(app):
    """Two mailboxes; alice reads Support, bob reads Sales, root is an admin."""
    support = make_mailbox(timezone="America/Los_Angeles")
    sales = make_mailbox(name="Sales", twilio_number=SALES_NUMBER, forward_to=[], timezone="Europe/Paris")
    alice, _ = users.create_user("alice@example.com", PASSWORD, mailbox_ids=[support.id])
    bob, _ = users.create_user("bob@example.com", PASSWORD, mailbox_ids=[sales.id])
    root, _ = users.create_user("root@example.com", PASSWORD, admin=True)
    return SimpleNamespace(support=support, sales=sales, alice=alice, bob=bob, root=root)
