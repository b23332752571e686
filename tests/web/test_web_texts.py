"""Messages, sequences, opt-outs and mailbox settings pages: each through the services the API uses."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import select

from tests.web.steps import sign_in, submit
from voicebox.extensions import db
from voicebox.models import Enrollment, Mailbox, Message, MessageStatus, OptOut

TO = "+14155550123"


def local_in(days: int, zone: str, clock: str = "18:00") -> tuple[str, datetime]:
    """A datetime-local value `days` ahead at `clock` in `zone`, and the UTC moment it means."""
    day = (datetime.now(ZoneInfo(zone)) + timedelta(days=days)).date()
    value = f"{day.isoformat()}T{clock}"
    return value, datetime.fromisoformat(value).replace(tzinfo=ZoneInfo(zone)).astimezone(UTC)


def messages() -> list[Message]:
    db.session.expire_all()
    return list(db.session.scalars(select(Message).order_by(Message.id)))


def test_compose_schedules_in_the_chosen_time_zone_and_cancel(client, team):
    sign_in(client, "alice@example.com")
    form = client.get("/messages/new").get_data(as_text=True)
    assert "<option selected>America/Los_Angeles</option>" in form  # the reader's mailbox zone by default
    send_at, utc = local_in(60, "Asia/Tokyo")  # beyond Twilio's window: it waits in our database
    answer = submit(client, "/messages/new", {"to": "+1 415 555 0123", "body": "Your table is ready",
                                              "send_at": send_at, "timezone": "Asia/Tokyo"})  # fmt: skip
    [row] = messages()
    assert answer.headers["Location"] == f"/messages/{row.id}"
    assert (row.to_number, row.send_at, row.status) == (TO, utc, MessageStatus.PENDING)
    page = client.get(f"/messages/{row.id}").get_data(as_text=True)
    assert "Your table is ready" in page and "route: wait_handoff" in page  # the timeline, from the events
    listed = client.get("/messages").get_data(as_text=True)
    assert f'href="/messages/{row.id}"' in listed and "Your table is ready" in listed
    submit(client, f"/messages/{row.id}/cancel")
    assert messages()[0].status == MessageStatus.CANCELED
    timeline = client.get(f"/messages/{row.id}").get_data(as_text=True)
    assert "canceled before it reached Twilio" in timeline and "Cancel this text" not in timeline
    again = submit(client, f"/messages/{row.id}/cancel")
    assert "already canceled" in client.get(again.headers["Location"]).get_data(as_text=True)


def test_compose_refuses_bad_input_with_the_field_marked(client, team):
    sign_in(client, "alice@example.com")
    bad = submit(client, "/messages/new", {"to": "12", "body": "hi", "timezone": "UTC"})
    page = bad.get_data(as_text=True)
    assert bad.status_code == 400 and 'id="to-error"' in page and 'aria-invalid="true"' in page
    past = submit(client, "/messages/new", {"to": TO, "body": "hi", "send_at": "2020-01-01T10:00", "timezone": "UTC"})
    assert past.status_code == 400 and "is in the past" in past.get_data(as_text=True)
    assert messages() == []


def test_messages_empty_state(client, team):
    sign_in(client, "alice@example.com")
    assert "No texts" in client.get("/messages").get_data(as_text=True)


def test_sequence_create_enrol_and_cancel(client, team):
    sign_in(client, "alice@example.com")
    assert "No sequences yet" in client.get("/sequences").get_data(as_text=True)
    created = submit(client, "/sequences/new", {
        "name": "Welcome", "quiet_start": "21:00", "quiet_end": "08:00",
        "step-0-body": "Welcome aboard", "step-0-days": "0", "step-0-at": "10:00",
        "step-1-body": "How is it going?", "step-1-days": "3", "step-1-at": "10:00",
    })  # fmt: skip
    sequence_path = created.headers["Location"]
    page = client.get(sequence_path).get_data(as_text=True)
    assert "Welcome aboard" in page and "Day 3 at 10:00" in page and "Nobody is enrolled yet" in page
    anchor, _ = local_in(40, "America/New_York", "09:00")
    enrolled = submit(client, f"{sequence_path}/enrollments", {"to": TO, "anchor": anchor,
                                                              "timezone": "America/New_York"})  # fmt: skip
    assert enrolled.headers["Location"] == sequence_path
    rows = messages()
    assert [m.body for m in rows] == ["Welcome aboard", "How is it going?"]
    assert rows[0].send_at == local_in(40, "America/New_York", "10:00")[1]
    enrollment = db.session.scalar(select(Enrollment))
    submit(client, f"/enrollments/{enrollment.id}/cancel")
    assert {m.status for m in messages()} == {MessageStatus.CANCELED}
    duplicate = submit(client, "/sequences/new", {"name": "Welcome", "step-0-body": "x", "step-0-at": "10:00"})
    assert duplicate.status_code == 400 and "already exists" in duplicate.get_data(as_text=True)
    no_steps = submit(client, "/sequences/new", {"name": "Empty"})
    assert no_steps.status_code == 400 and "steps" in no_steps.get_data(as_text=True)


def test_optouts_page_adds_and_removes_with_history(client, team):
    sign_in(client, "alice@example.com")
    assert "Nobody has opted out" in client.get("/optouts").get_data(as_text=True)
    submit(client, "/optouts", {"number": "+1 (415) 555-0123", "note": "asked by phone"}, page="/optouts")
    db.session.expire_all()
    assert db.session.get(OptOut, TO).opted_out
    page = client.get("/optouts").get_data(as_text=True)
    assert "+1 415-555-0123" in page and "asked by phone" in page
    compose = submit(client, "/messages/new", {"to": TO, "body": "hello", "timezone": "UTC"})
    assert compose.status_code == 400 and "opted out" in compose.get_data(as_text=True)
    submit(client, f"/optouts/{TO}/optin", page="/optouts")
    db.session.expire_all()
    assert not db.session.get(OptOut, TO).opted_out
    history = client.get("/optouts?all=1").get_data(as_text=True)
    assert "opt out via api" in history and "opt in via api" in history
    bad = submit(client, "/optouts", {"number": "not a number"}, page="/optouts")
    assert bad.status_code == 400 and 'id="number-error"' in bad.get_data(as_text=True)
    assert submit(client, "/optouts/+19999999999/optin", page="/optouts").status_code == 404


def test_mailbox_settings_change_through_the_api_schema(client, team):
    sign_in(client, "alice@example.com")
    listed = client.get("/mailboxes").get_data(as_text=True)
    assert "Support" in listed and "Sales" not in listed
    path = f"/mailboxes/{team.support.id}"
    form = client.get(path).get_data(as_text=True)
    assert 'name="ring_timeout" type="number" min="5" max="120" value="20"' in form
    saved = submit(
        client,
        path,
        {
            "name": "Support",
            "enabled": "1",
            "forward_to": "+1 415 555 0122\n+14155550133",
            "ring_mode": "sequential",
            "ring_timeout": "30",
            "greeting": "Thanks for calling.",
            "language": "zh-CN",
            "voice": "Polly.Zhiyu",
            "emails": "a@example.com, b@example.com",
            "timezone": "Asia/Shanghai",
        },
        page=path,
    )  # fmt: skip  (screen_calls and sms_notify unchecked: off)
    assert saved.headers["Location"] == path
    db.session.expire_all()
    box = db.session.get(Mailbox, team.support.id)
    assert [t.number for t in box.targets] == ["+14155550122", "+14155550133"]
    assert (box.ring_mode, box.ring_timeout, box.screen_calls, box.greeting) == (
        "sequential",
        30,
        False,
        "Thanks for calling.",
    )
    assert (box.language, box.voice, box.emails, box.timezone) == (
        "zh-CN",
        "Polly.Zhiyu",
        ["a@example.com", "b@example.com"],
        "Asia/Shanghai",
    )
    bad = submit(client, path, {"name": "Support", "emails": "not-an-email", "ring_timeout": "3"}, page=path)
    page = bad.get_data(as_text=True)
    assert bad.status_code == 400 and re.search(r'id="(emails|ring_timeout)-error"', page)
    db.session.expire_all()
    assert db.session.get(Mailbox, team.support.id).ring_timeout == 30
    taken = submit(client, path, {"name": "Sales", "emails": "a@example.com", "ring_timeout": "30"}, page=path)
    assert taken.status_code == 400 and "already exists" in taken.get_data(as_text=True)


def test_error_pages_are_friendly_html(make_app, client, team):
    sign_in(client, "alice@example.com")
    missing = client.get("/no/such/page")
    body = missing.get_data(as_text=True)
    assert (missing.status_code, missing.mimetype) == (404, "text/html") and "Not found" in body
    assert "Back to the inbox" in body
    app = make_app()

    @app.get("/inbox/boom")
    def boom():
        raise RuntimeError("kaboom")

    crashed = app.test_client().get("/inbox/boom")
    text = crashed.get_data(as_text=True)
    assert crashed.status_code == 500 and "Something went wrong" in text
    assert "kaboom" not in text and "Traceback" not in text
