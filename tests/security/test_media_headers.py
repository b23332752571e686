"""/media/<token> relays the sender's bytes without letting a browser run them as our page."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from tests.support import Twilio
from tests.support.builders import TWILIO_NUMBER, make_mailbox
from voicebox.extensions import db
from voicebox.models import InboundMessage
from voicebox.services import recordings

PUBLIC = "https://voicebox.example.com"


def fetch_attachment(make_app, listener):
    """Receive an MMS whose attachment the listener serves, then open its /media link."""
    app = make_app(PUBLIC_BASE_URL=PUBLIC, TWILIO_API_BASE_URL=f"http://127.0.0.1:{listener.port}")
    with app.app_context():
        make_mailbox()
        params = {
            "MessageSid": "MM" + "7" * 32,
            "AccountSid": "AC" + "0" * 32,
            "From": "+14155550123",
            "To": TWILIO_NUMBER,
            "Body": "look",
            "NumMedia": "1",
            "MediaUrl0": f"http://127.0.0.1:{listener.port}/2010-04-01/Accounts/AC0/Messages/MM0/Media/ME0",
        }
        response = Twilio(app.test_client(), public_base=PUBLIC).post("/sms/incoming", params)
        assert response.status_code == 200
        text = db.session.scalar(select(InboundMessage))
        link = recordings.media_link(text, 0)
        return app.test_client().get(link.removeprefix(PUBLIC))


@pytest.mark.parametrize(
    "content_type", ["text/html", "image/svg+xml", "application/pdf", "text/plain", "application/xhtml+xml"]
)
def test_active_content_is_an_attachment_that_cannot_run(make_app, http_listener, content_type):
    http_listener.content_type = content_type
    response = fetch_attachment(make_app, http_listener)
    assert response.status_code == 200 and response.data == http_listener.body
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert "sandbox" in response.headers["Content-Security-Policy"]
    assert "default-src 'none'" in response.headers["Content-Security-Policy"]
    assert response.headers["Content-Disposition"].startswith("attachment;")


@pytest.mark.parametrize("content_type", ["image/jpeg", "image/png", "audio/mpeg", "audio/ogg"])
def test_pictures_and_audio_stay_inline(make_app, http_listener, content_type):
    http_listener.content_type = content_type
    response = fetch_attachment(make_app, http_listener)
    assert response.status_code == 200
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert "sandbox" in response.headers["Content-Security-Policy"]
    assert response.headers["Content-Disposition"].startswith("inline;")
