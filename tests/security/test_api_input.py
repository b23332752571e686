"""The JSON API answers malformed input with a 4xx naming the field, and saves nothing."""

from __future__ import annotations

import os

import pytest
from sqlalchemy import select

from tests.support import api_headers
from tests.support.builders import TWILIO_NUMBER, make_mailbox
from voicebox.extensions import db
from voicebox.models import Mailbox, Message

PUBLIC = "https://voicebox.example.com"
HUGE = "99999999999999999999999"
ON_POSTGRES = os.environ.get("DATABASE_URL", "").startswith("postgres")


@pytest.fixture(name="app")
def api_app(make_app):
    app = make_app(PUBLIC_BASE_URL=PUBLIC)
    with app.app_context():
        yield app


@pytest.fixture
def mailbox(app):
    return make_mailbox()


def assert_error(response, status: int, field: str | None = None) -> None:
    assert response.status_code == status, (response.status_code, response.get_data(as_text=True)[:300])
    error = response.get_json()["error"]
    assert set(error) <= {"code", "message", "field"} and error["message"]
    if field is not None:
        assert error.get("field") == field, error


NOT_NULL = ["name", "twilio_number", "forward_to", "ring_mode", "emails", "language", "voice"]
NOT_NULL += ["ring_timeout", "screen_calls", "enabled", "timezone", "sms_notify"]


@pytest.mark.parametrize("field", NOT_NULL)
def test_patch_null_is_400_naming_the_field_and_saves_nothing(app, client, mailbox, field):
    before = client.get(f"/api/mailboxes/{mailbox.id}", headers=api_headers()).get_json()
    response = client.patch(f"/api/mailboxes/{mailbox.id}", json={field: None}, headers=api_headers())
    assert_error(response, 400, field)
    after = client.get(f"/api/mailboxes/{mailbox.id}", headers=api_headers())
    assert after.status_code == 200 and after.get_json() == before
    assert client.get("/api/mailboxes", headers=api_headers()).status_code == 200


def test_patch_greeting_null_clears_it(app, client, mailbox):
    client.patch(f"/api/mailboxes/{mailbox.id}", json={"greeting": "Hi"}, headers=api_headers())
    response = client.patch(f"/api/mailboxes/{mailbox.id}", json={"greeting": None}, headers=api_headers())
    assert response.status_code == 200 and response.get_json()["greeting"] is None


@pytest.mark.parametrize(
    "name", ["Support\r\nReply-To: attacker@evil.example", "Support\nBcc: x@evil.example", "A\x00B"]
)
def test_mailbox_name_with_control_characters_is_refused(app, client, mailbox, name):
    body = {"name": name, "twilio_number": "+14155550177", "emails": ["a@example.com"]}
    assert_error(client.post("/api/mailboxes", json=body, headers=api_headers()), 400, "name")
    assert_error(client.patch(f"/api/mailboxes/{mailbox.id}", json={"name": name}, headers=api_headers()), 400, "name")
    assert db.session.scalars(select(Mailbox.name)).all() == ["Support"]


@pytest.mark.parametrize(
    "path",
    [
        f"/api/messages/{HUGE}",
        f"/api/messages/{HUGE}/cancel",
        f"/api/voicemails/{HUGE}",
        f"/api/mailboxes/{HUGE}",
        f"/api/sequences/{HUGE}",
        f"/api/sequences/{HUGE}/enrollments",
        f"/api/enrollments/{HUGE}",
        "/api/messages/2147483648",
        "/api/mailboxes/9223372036854775808",
    ],
)
def test_huge_ids_are_404(app, client, path):
    method = "POST" if path.endswith("/cancel") else "GET"
    assert_error(client.open(path, method=method, headers=api_headers()), 404)


def test_huge_ids_in_writes_are_404(app, client):
    assert_error(client.patch(f"/api/mailboxes/{HUGE}", json={"name": "x"}, headers=api_headers()), 404)
    assert_error(client.delete(f"/api/mailboxes/{HUGE}", headers=api_headers()), 404)
    assert_error(client.delete(f"/api/enrollments/{HUGE}", headers=api_headers()), 404)
    body = {"to": "+14155550123", "anchor": "2030-01-01T10:00:00", "timezone": "UTC"}
    assert_error(client.post(f"/api/sequences/{HUGE}/enrollments", json=body, headers=api_headers()), 404)


@pytest.mark.parametrize(
    "query, field",
    [
        ("/api/messages?limit=²", "limit"),
        ("/api/messages?sequence=²", "sequence"),
        (f"/api/messages?sequence={HUGE}", "sequence"),
        ("/api/voicemails?limit=²", "limit"),
        ("/api/voicemails?mailbox=²", "mailbox"),
        (f"/api/voicemails?mailbox={HUGE}", "mailbox"),
        ("/api/voicemails?limit=١٢", "limit"),  # Arabic-Indic digits: isdigit() says yes, we say no
        ("/api/voicemails?limit=+5", "limit"),
        ("/api/voicemails?limit= 5", "limit"),
    ],
)
def test_odd_numbers_in_queries_are_400(app, client, query, field):
    assert_error(client.get(query, headers=api_headers()), 400, field)


def test_long_time_zone_is_400(app, client, mailbox):
    tz = "A" * 300
    assert_error(
        client.patch(f"/api/mailboxes/{mailbox.id}", json={"timezone": tz}, headers=api_headers()), 400, "timezone"
    )
    body = {"to": "+14155550123", "body": "hi", "send_at": "2030-01-01T10:00:00", "timezone": tz}
    assert_error(client.post("/api/messages", json=body, headers=api_headers()), 400)


@pytest.mark.parametrize("send_at", ["0001-01-01T00:30:00+01:00", "9999-12-31T23:59:00-05:00"])
def test_extreme_send_at_is_400(app, client, send_at):
    body = {"to": "+14155550123", "body": "hi", "send_at": send_at}
    assert_error(client.post("/api/messages", json=body, headers=api_headers()), 400, "send_at")
    assert db.session.scalars(select(Message)).all() == []


def test_enrollment_beyond_the_calendar_is_400(app, client):
    sequence = {"name": "far", "steps": [{"offset_days": 3650, "at": "10:00", "body": "hello"}]}
    created = client.post("/api/sequences", json=sequence, headers=api_headers())
    assert created.status_code == 201, created.get_data(as_text=True)
    path = f"/api/sequences/{created.get_json()['id']}/enrollments"
    for anchor in ("9999-01-01", "9999-12-31T23:00:00", "0001-01-01"):
        response = client.post(
            path, json={"to": "+14155550123", "anchor": anchor, "timezone": "UTC"}, headers=api_headers()
        )
        assert_error(response, 400, "anchor")
    assert db.session.scalars(select(Message)).all() == []


@pytest.mark.parametrize("depth", [100_000, 2_000])
def test_deeply_nested_json_is_400(app, client, depth):
    body = "[" * depth + "]" * depth
    response = client.post("/api/mailboxes", data=body, content_type="application/json", headers=api_headers())
    assert_error(response, 400)
    nested = '{"name": ' + "[" * depth + "]" * depth + "}"
    response = client.post("/api/mailboxes", data=nested, content_type="application/json", headers=api_headers())
    assert_error(response, 400)


def test_long_language_tag_is_400(app, client, mailbox):
    tag = "en" + "-abcdefgh" * 5
    response = client.patch(f"/api/mailboxes/{mailbox.id}", json={"language": tag}, headers=api_headers())
    assert_error(response, 400, "language")
    assert client.get(f"/api/mailboxes/{mailbox.id}", headers=api_headers()).get_json()["language"] == "en-US"


def test_long_opt_out_note_is_400(app, client):
    number = "+14155550123"
    assert client.post("/api/optouts", json={"number": number}, headers=api_headers()).status_code == 201
    response = client.delete(f"/api/optouts/{number}?note=" + "n" * 201, headers=api_headers())
    assert_error(response, 400, "note")
    assert client.get("/api/optouts", headers=api_headers()).get_json()["items"][0]["opted_out"] is True


def test_twilio_number_kept_by_mailbox(app, mailbox):
    assert mailbox.numbers[0].e164 == TWILIO_NUMBER
