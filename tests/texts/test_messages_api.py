"""/api/messages: every validation error is a 400 naming its field; listing, filters, auth, OpenAPI; the CLI."""

from __future__ import annotations

import json
import re
from datetime import timedelta

import pytest
import time_machine

from tests.support import api_headers
from tests.texts.steps import (
    NOW,
    PUBLIC,
    TO,
    get,
    iso,
    post,
)

VALID = {"to": TO, "body": "hello"}


@pytest.mark.parametrize(
    ("body", "field", "words"),
    [
        ({"body": "x"}, "to", "is required"),
        ({**VALID, "to": "0123"}, "to", "international format"),
        ({**VALID, "to": "+1415555"}, "to", "not a valid phone number"),
        ({**VALID, "to": 14155550123}, "to", "valid string"),
        ({"to": TO}, "body", "is required"),
        ({**VALID, "body": ""}, "body", "at least 1 character"),
        ({**VALID, "body": "   "}, "body", "must not be blank"),
        ({**VALID, "body": "x" * 1601}, "body", "at most 1600 characters"),
        ({**VALID, "media_urls": "https://example.com/a.png"}, "media_urls", "valid list"),
        ({**VALID, "media_urls": ["ftp://example.com/a.png"]}, "media_urls.0", "http(s) URL"),
        ({**VALID, "media_urls": ["https://example.com/a.png"] * 11}, "media_urls", "at most 10"),
        ({**VALID, "send_at": "next tuesday"}, "send_at", "ISO-8601"),
        ({**VALID, "send_at": "2027-02-02"}, "send_at", "ISO-8601"),
        ({**VALID, "send_at": 1801000000}, "send_at", "ISO-8601"),
        ({**VALID, "send_at": "2027-02-02T09:00:00"}, "send_at", "no UTC offset"),
        ({**VALID, "send_at": "2027-02-02T09:00:00", "timezone": "Mars/Olympus"}, "timezone", "unknown IANA"),
        ({**VALID, "send_at": iso(NOW - timedelta(minutes=2))}, "send_at", "in the past"),
        ({**VALID, "send_at": iso(NOW + timedelta(days=365, seconds=1))}, "send_at", "more than 365 days"),
        ({**VALID, "from": "+14155550100"}, "from", "not a known field"),
    ],
)
def test_validation_errors_name_the_field(client, prism, body, field, words):
    with time_machine.travel(NOW, tick=False):
        answer = post(client, "/api/messages", body)
    assert answer.status_code == 400, answer.json
    error = answer.json["error"]
    assert error["code"] == "validation_error" and error["field"] == field
    assert words in error["message"], error["message"]
    assert prism.exchanges == []


def test_a_non_json_body_is_400(client):
    answer = client.post("/api/messages", data="to=x", headers=api_headers())
    assert answer.status_code == 400 and answer.json["error"]["code"] == "invalid_json"


def test_send_at_within_the_grace_counts_as_now(client, prism):
    with time_machine.travel(NOW, tick=False):
        answer = post(client, "/api/messages", {**VALID, "send_at": iso(NOW - timedelta(seconds=30))})
    assert answer.status_code == 201 and answer.json["send_at"] is None
    assert "SendAt" not in prism.creates()[0].data


def test_the_horizon_edge_is_allowed(client):
    with time_machine.travel(NOW, tick=False):
        answer = post(client, "/api/messages", {**VALID, "send_at": iso(NOW + timedelta(days=365))})
    assert answer.status_code == 201 and answer.json["status"] == "pending"


def test_the_api_needs_the_bearer_token(client):
    assert client.post("/api/messages", json=VALID).status_code == 401
    assert client.get("/api/messages").status_code == 401


def test_texts_need_a_messaging_service(make_app, prism):
    app = make_app(TWILIO_HTTP_CLIENT=prism, PUBLIC_BASE_URL=PUBLIC, TWILIO_MESSAGING_SERVICE_SID=None)
    with app.app_context():
        answer = post(app.test_client(), "/api/messages", VALID)
    assert answer.status_code == 503 and "TWILIO_MESSAGING_SERVICE_SID" in answer.json["error"]["message"]
    assert prism.exchanges == []


def test_get_and_list_with_filters(client, prism):
    with time_machine.travel(NOW, tick=False):
        sent = post(client, "/api/messages", VALID).json
        later = post(
            client, "/api/messages", {**VALID, "to": "+14155550124", "send_at": iso(NOW + timedelta(days=40))}
        ).json
    one = get(client, f"/api/messages/{sent['id']}")
    assert one.status_code == 200 and one.json == sent
    assert [m["id"] for m in get(client, "/api/messages").json["items"]] == [later["id"], sent["id"]]
    assert [m["id"] for m in get(client, "/api/messages?status=pending").json["items"]] == [later["id"]]
    assert [m["id"] for m in get(client, "/api/messages?to=%2B1%20415%20555%200124").json["items"]] == [later["id"]]
    assert get(client, f"/api/messages?sequence={10**9}").json["items"] == []
    assert len(get(client, "/api/messages?limit=1").json["items"]) == 1
    assert get(client, f"/api/messages/{10**9}").status_code == 404


@pytest.mark.parametrize(
    ("query", "field"),
    [
        ("status=lost", "status"),
        ("to=12", "to"),
        ("sequence=x", "sequence"),
        ("limit=0", "limit"),
        ("limit=501", "limit"),
    ],
)
def test_list_filter_errors_name_the_field(client, query, field):
    answer = get(client, f"/api/messages?{query}")
    assert answer.status_code == 400 and answer.json["error"]["field"] == field


def test_message_shape(client, prism):
    with time_machine.travel(NOW, tick=False):
        out = post(client, "/api/messages", {**VALID, "send_at": iso(NOW + timedelta(hours=1))}).json
    assert set(out) == {
        "id", "to", "body", "media_urls", "send_at", "status", "twilio_sid", "error", "cancel_requested",
        "sequence_id", "enrollment_id", "created_at", "events",
    }  # fmt: skip
    assert out["send_at"] == "2027-02-01T16:00:00Z" and out["error"] is None
    assert set(out["events"][0]) == {"at", "kind", "status", "error_code", "detail"}


def test_openapi_describes_the_text_routes(client):
    paths = client.get("/api/openapi.json").json["paths"]
    assert {"post", "get"} <= set(paths["/api/messages"])
    assert "post" in paths["/api/messages/{message_id}/cancel"]
    assert "MessageIn" in json.dumps(paths["/api/messages"]["post"])
    for path in ("/api/sequences", "/api/sequences/{sequence_id}/enrollments", "/api/enrollments/{enrollment_id}"):
        assert path in paths


def test_cli_send_schedule_list_cancel(app, prism):
    runner = app.test_cli_runner()
    with time_machine.travel(NOW, tick=False):
        sent = runner.invoke(args=["sms", "send", "--to", TO, "--body", "hi"])
        assert sent.exit_code == 0, sent.output
        assert re.fullmatch(r"message \d+: queued \(SM[0-9a-f]{32}\)\n", sent.output)
        scheduled = runner.invoke(
            args=[
                "sms",
                "schedule",
                "--to",
                TO,
                "--body",
                "later",
                "--at",
                "2027-02-01T12:00",
                "--timezone",
                "America/New_York",
            ]
        )
        assert scheduled.exit_code == 0 and ": scheduled (SM" in scheduled.output
        later_id = scheduled.output.split(":")[0].removeprefix("message ")
        assert prism.creates()[-1].data["SendAt"] == "2027-02-01T17:00:00Z"
        listed = runner.invoke(args=["sms", "list", "--json", "--status", "scheduled"])
        assert [str(m["id"]) for m in json.loads(listed.output)] == [later_id]
        canceled = runner.invoke(args=["sms", "cancel", later_id])
        assert canceled.exit_code == 0 and canceled.output.strip() == f"message {later_id}: canceled"
        again = runner.invoke(args=["sms", "cancel", later_id])
        assert again.exit_code == 1 and "already canceled" in again.output
        bad = runner.invoke(args=["sms", "schedule", "--to", TO, "--body", "x", "--at", "2027-02-01T12:00"])
        assert bad.exit_code == 2 and "send_at: has no UTC offset" in bad.output
        past = runner.invoke(args=["sms", "schedule", "--to", TO, "--body", "x", "--at", "2020-01-01T00:00Z"])
        assert past.exit_code == 2 and "send_at: is in the past" in past.output
    assert [c.data["Body"] for c in prism.creates()] == ["hi", "later"]
