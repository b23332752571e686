"""The admin JSON API: mailboxes, voicemails, errors and the OpenAPI document."""

from __future__ import annotations

import pytest

from tests.support import api_headers
from tests.support.builders import OWNER_CELL, OWNER_DESK

BODY = {
    "name": "Support",
    "twilio_number": "+1 (415) 555-0100",
    "forward_to": [OWNER_CELL, "+44 20 7946 0958"],
    "ring_mode": "sequential",
    "emails": ["team@example.com", "boss@example.com"],
    "language": "zh-CN",
    "voice": "Polly.Zhiyu",
    "greeting": "Welcome",
    "ring_timeout": 25,
    "screen_calls": False,
    "enabled": True,
}


def post(client, body, path="/api/mailboxes"):
    return client.post(path, json=body, headers=api_headers())


def test_create_then_get_normalises_numbers(client):
    created = post(client, BODY)
    assert created.status_code == 201
    mailbox = created.get_json()
    assert mailbox["twilio_number"] == "+14155550100"
    assert mailbox["forward_to"] == [OWNER_CELL, "+442079460958"]
    assert {k: mailbox[k] for k in ("ring_mode", "language", "voice", "ring_timeout", "screen_calls")} == {
        "ring_mode": "sequential",
        "language": "zh-CN",
        "voice": "Polly.Zhiyu",
        "ring_timeout": 25,
        "screen_calls": False,
    }
    fetched = client.get(f"/api/mailboxes/{mailbox['id']}", headers=api_headers())
    assert fetched.get_json() == mailbox


def test_defaults(client):
    mailbox = post(client, {"name": "Sales", "twilio_number": "+14155550100", "emails": ["a@example.com"]}).get_json()
    assert (mailbox["ring_timeout"], mailbox["screen_calls"], mailbox["enabled"], mailbox["ring_mode"]) == (
        20,
        True,
        True,
        "simultaneous",
    )
    assert mailbox["language"] == "en-US"


def test_list_and_patch_and_delete(client):
    mailbox = post(client, BODY).get_json()
    listed = client.get("/api/mailboxes", headers=api_headers()).get_json()
    assert [m["name"] for m in listed["items"]] == ["Support"]
    patched = client.patch(
        f"/api/mailboxes/{mailbox['id']}",
        json={"forward_to": [OWNER_DESK], "ring_mode": "simultaneous", "enabled": False},
        headers=api_headers(),
    ).get_json()
    assert (patched["forward_to"], patched["ring_mode"], patched["enabled"]) == ([OWNER_DESK], "simultaneous", False)
    assert patched["greeting"] == "Welcome"  # untouched
    assert client.delete(f"/api/mailboxes/{mailbox['id']}", headers=api_headers()).status_code == 204
    missing = client.get(f"/api/mailboxes/{mailbox['id']}", headers=api_headers())
    assert missing.status_code == 404
    assert missing.get_json()["error"]["code"] == "not_found"


def test_patch_ring_mode_alone_keeps_targets(client):
    mailbox = post(client, BODY).get_json()
    patched = client.patch(
        f"/api/mailboxes/{mailbox['id']}", json={"ring_mode": "simultaneous"}, headers=api_headers()
    ).get_json()
    assert patched["forward_to"] == mailbox["forward_to"]
    assert patched["ring_mode"] == "simultaneous"


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"name": ""}, "name"),
        ({"twilio_number": "555-0100"}, "twilio_number"),
        ({"twilio_number": "+1415555"}, "twilio_number"),
        ({"forward_to": ["+14155550111", "nope"]}, "forward_to.1"),
        ({"ring_mode": "round-robin"}, "ring_mode"),
        ({"emails": []}, "emails"),
        ({"emails": ["not-an-email"]}, "emails.0"),
        ({"language": "English"}, "language"),
        ({"ring_timeout": 2}, "ring_timeout"),
        ({"ring_timeout": "twenty"}, "ring_timeout"),
        ({"screen_calls": "sometimes"}, "screen_calls"),
        ({"timezone": "Mars/Olympus"}, "timezone"),
        ({"colour": "blue"}, "colour"),
    ],
)
def test_validation_errors_name_the_field(client, change, field):
    response = post(client, {**BODY, **change})
    assert response.status_code == 400
    error = response.get_json()["error"]
    assert error["code"] == "validation_error"
    assert error["field"] == field
    assert error["message"].startswith(f"{field}: ")


def test_missing_field_is_named(client):
    body = {k: v for k, v in BODY.items() if k != "emails"}
    error = post(client, body).get_json()["error"]
    assert (error["field"], error["message"]) == ("emails", "emails: is required")


def test_body_must_be_json_object(client):
    response = client.post("/api/mailboxes", data="name=x", headers=api_headers())
    assert response.status_code == 400
    assert response.get_json()["error"]["code"] == "invalid_json"
    assert client.post("/api/mailboxes", json=[1], headers=api_headers()).status_code == 400


def test_duplicate_name_or_number_is_409(client):
    post(client, BODY)
    same_number = post(client, {**BODY, "name": "Other"})
    assert same_number.status_code == 409
    assert same_number.get_json()["error"]["field"] == "twilio_number"
    same_name = post(client, {**BODY, "twilio_number": "+14155550177"})
    assert same_name.status_code == 409
    assert same_name.get_json()["error"]["field"] == "name"


@pytest.mark.parametrize("header", [None, "Bearer wrong", "Basic dGVzdA==", "Bearer"])
def test_bearer_token_required(client, header):
    headers = {"Authorization": header} if header else {}
    response = client.get("/api/mailboxes", headers=headers)
    assert response.status_code == 401
    assert response.get_json()["error"]["code"] == "unauthorized"


def test_unknown_api_route_is_json_404(client):
    response = client.get("/api/nothing-here", headers=api_headers())
    assert response.status_code == 404
    assert response.get_json()["error"]["code"] == "not_found"


def test_openapi_document_comes_from_the_schemas(client):
    doc = client.get("/api/openapi.json").get_json()
    assert doc["openapi"].startswith("3.")
    assert set(doc["paths"]["/api/mailboxes"]) == {"get", "post"}
    assert set(doc["paths"]["/api/mailboxes/{mailbox_id}"]) == {"get", "patch", "delete"}
    assert "/api/voicemails" in doc["paths"]
    mailbox_in = doc["components"]["schemas"]["MailboxIn"]
    assert set(mailbox_in["required"]) == {"name", "twilio_number", "emails"}
    assert mailbox_in["properties"]["ring_timeout"]["minimum"] == 5
    assert mailbox_in["properties"]["ring_mode"]["enum"] == ["simultaneous", "sequential"]
    error = doc["paths"]["/api/mailboxes"]["post"]["responses"]["400"]["content"]["application/json"]["schema"]
    assert error == {"$ref": "#/components/schemas/ErrorOut"}
