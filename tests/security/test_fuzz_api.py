"""Schemathesis against /api/openapi.json: every route, with the token; no 500, answers match the schema."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
import schemathesis
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import content_type_conformance, response_schema_conformance

from tests.support import api_headers
from tests.support.builders import make_mailbox
from voicebox.api.openapi import OPERATIONS as OPERATIONS_REGISTERED
from voicebox.api.openapi import _openapi_path

PUBLIC = "https://voicebox.example.com"


# Every operation the API registers (importing voicebox.api registers them), as the document names it.
OPERATIONS = [(op.method, "/api" + _openapi_path(op.rule)) for op in OPERATIONS_REGISTERED]


@pytest.fixture(name="app")
def fuzz_app(make_app, prism):
    app = make_app(TWILIO_HTTP_CLIENT=prism, PUBLIC_BASE_URL=PUBLIC)
    with app.app_context():
        yield app


@pytest.fixture
def api_schema(app):
    return schemathesis.openapi.from_wsgi("/api/openapi.json", app)


@pytest.fixture
def existing(app, client) -> dict[str, str]:
    """One row of each kind, so generated requests reach real records, not only 404s."""
    mailbox = make_mailbox()
    sequence = client.post(
        "/api/sequences", json={"name": "drip", "steps": [{"offset_days": 1, "body": "hi"}]}, headers=api_headers()
    ).get_json()
    assert "id" in sequence, sequence
    anchor = (datetime.now(UTC) + timedelta(days=30)).strftime("%Y-%m-%dT10:00:00")
    enrollment = client.post(
        f"/api/sequences/{sequence['id']}/enrollments",
        json={
            "to": "+14155550123",
            "anchor": anchor,
            "timezone": "UTC",
        },
        headers=api_headers(),
    ).get_json()
    assert "id" in enrollment, enrollment
    client.post("/api/optouts", json={"number": "+14155550124"}, headers=api_headers())
    return {
        "mailbox_id": str(mailbox.id),
        "sequence_id": str(sequence["id"]),
        "enrollment_id": str(enrollment["id"]),
        "message_id": str(enrollment["messages"][0]["id"]),
        "number": "+14155550124",
    }


@pytest.mark.parametrize(("method", "path"), OPERATIONS, ids=[f"{m} {p}" for m, p in OPERATIONS])
def test_api_never_fails_and_keeps_its_schema(api_schema, existing, method, path):
    # Driven by hand: schemathesis's pytest plugin does not load under this pytest version.
    @given(case=api_schema[path][method].as_strategy(), real_ids=st.booleans())
    @settings(
        max_examples=25,
        derandomize=True,
        deadline=None,
        database=None,
        suppress_health_check=list(HealthCheck),
    )
    def check(case, real_ids):
        if real_ids and case.path_parameters:
            case.path_parameters = {k: existing.get(k, v) for k, v in case.path_parameters.items()}
        case.call_and_validate(
            headers=api_headers(),
            checks=[not_a_server_error, response_schema_conformance, content_type_conformance],
        )

    check()
