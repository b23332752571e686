"""A person's day in a real browser: sign in, open a voicemail the call simulator left, play it (a real
MP3 relayed from a stand-in for Twilio's recording URL), mark it read, schedule a text and cancel it."""

from __future__ import annotations

from datetime import datetime, timedelta
from pathlib import Path

from sqlalchemy import select

from tests.support.builders import CALLER, TWILIO_NUMBER, make_mailbox
from tests.support.live import serve
from voicebox.extensions import db
from voicebox.models import Message, MessageStatus, Voicemail
from voicebox.services import users

TONE = (Path(__file__).resolve().parents[1] / "support" / "media" / "tone.mp3").read_bytes()
EMAIL, PASSWORD = "owner@example.com", "correct horse battery"
TRANSCRIPT = "Hi, it's Jenny from the bakery. Your order is ready, call me back."


def test_voicemail_and_scheduled_text(make_app, standin, page, artifacts, tmp_path):
    standin.default_recording = TONE
    app = make_app(
        TWILIO_API_BASE_URL=standin.base_url,
        PUBLIC_BASE_URL="https://voicebox.example.com",
        INSTANCE_PATH=str(tmp_path),
    )
    with app.app_context():
        make_mailbox(timezone="America/Los_Angeles")
        users.create_user(EMAIL, PASSWORD, admin=True)
    with serve(app) as base:
        with app.app_context():
            simulated = app.test_cli_runner().invoke(
                args=[
                    "simulate",
                    "call",
                    "--to",
                    TWILIO_NUMBER,
                    "--from",
                    CALLER,
                    "--transcript",
                    TRANSCRIPT,
                    "--url",
                    base,
                ]
            )
            assert simulated.exit_code == 0, simulated.output
            voicemail_id = db.session.scalar(select(Voicemail.id))

        # A logged-out visitor is sent to the login page.
        page.goto(base + "/")
        assert "/login" in page.url
        page.fill("#email", EMAIL)
        page.fill("#password", PASSWORD)
        page.click("button[type=submit]")
        page.wait_for_selector(f"a[href$='/voicemails/{voicemail_id}']")
        page.screenshot(path=str(artifacts / "inbox.png"), full_page=True)
        assert "Jenny from the bakery" in page.content()

        page.click(f"a[href$='/voicemails/{voicemail_id}']")
        page.wait_for_selector("audio")
        assert TRANSCRIPT in page.inner_text(".transcript")
        play_and_check_audio(page)
        page.screenshot(path=str(artifacts / "voicemail.png"), full_page=True)

        page.click("button:has-text('Mark as read')")
        page.wait_for_selector("button:has-text('Mark as unread')")
        with app.app_context():
            assert db.session.get(Voicemail, voicemail_id).is_read is True

        schedule_and_cancel(page, base, app)
    assert (artifacts / "inbox.png").stat().st_size > 0 and (artifacts / "voicemail.png").stat().st_size > 0


def play_and_check_audio(page) -> None:
    """Click the player's play button (a user gesture, as autoplay rules want) and wait for real audio."""
    audio = page.locator("audio")
    box = audio.bounding_box()
    audio.click(position={"x": 16, "y": box["height"] / 2})
    page.wait_for_function(
        "() => { const a = document.querySelector('audio');"
        " return a.readyState >= 1 && isFinite(a.duration) && a.duration > 0 && !a.error; }"
    )
    state = page.evaluate(
        "() => { const a = document.querySelector('audio');"
        " return {duration: a.duration, error: a.error && a.error.code, paused: a.paused, time: a.currentTime}; }"
    )
    assert 1.5 < state["duration"] < 3, state  # tone.mp3 lasts about two seconds
    assert state["error"] is None
    # Playing, or already played to the end: the browser decoded the relayed bytes.
    page.wait_for_function("() => { const a = document.querySelector('audio'); return a.currentTime > 0; }")


def schedule_and_cancel(page, base: str, app) -> None:
    page.goto(base + "/messages/new")
    page.fill("#to", "+14155550123")
    page.fill("#body", "Your order is ready for pickup.")
    # Beyond Twilio's 35-day scheduling window, so voicebox holds it: cancelling never needs Twilio.
    when = (datetime.now() + timedelta(days=60)).replace(second=0, microsecond=0)
    page.fill("#send_at", when.strftime("%Y-%m-%dT%H:%M"))
    page.select_option("#timezone", "America/Los_Angeles")
    page.click("button:has-text('Send or schedule')")
    page.wait_for_selector("button:has-text('Cancel this text')")
    with app.app_context():
        message = db.session.scalar(select(Message))
        assert message.status == MessageStatus.PENDING and message.send_at is not None
    page.click("button:has-text('Cancel this text')")
    page.wait_for_selector("text=Canceled.")
    with app.app_context():
        db.session.expire_all()
        assert db.session.scalar(select(Message)).status == MessageStatus.CANCELED


def test_pages_are_styled(make_app, page, tmp_path):
    app = make_app(INSTANCE_PATH=str(tmp_path))
    with serve(app) as base:
        page.goto(base + "/login")
        rules = page.evaluate("() => [...document.styleSheets].reduce((n, s) => n + s.cssRules.length, 0)")
    assert rules > 0, "the stylesheet did not load"
