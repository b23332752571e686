"""/api/docs (Swagger UI from the installed package, nothing from a CDN) and /api/openapi.json."""

from __future__ import annotations

import re

from openapi_spec_validator import validate

from tests.support import api_headers

ASSET = re.compile(r"""(?:src|href)=["']([^"']+)["']""")


def test_docs_page_serves_swagger_ui_from_local_assets(client):
    assert client.get("/api/docs").status_code == 308  # to /api/docs/
    page = client.get("/api/docs/")
    assert page.status_code == 200 and page.mimetype == "text/html"
    html = page.get_data(as_text=True)
    assert "SwaggerUIBundle" in html and '"url": "/api/openapi.json"' in html
    assets = ASSET.findall(html)
    assert any(a.endswith("swagger-ui-bundle.js") for a in assets)
    assert any(a.endswith("swagger-ui.css") for a in assets)
    for asset in assets:
        assert asset.startswith("/api/docs/"), f"{asset} is not served by voicebox"
        assert client.get(asset).status_code == 200, asset
    # No other origin anywhere in the page (the OAuth redirect names this host, which Swagger UI never uses here).
    assert set(re.findall(r"https?://[^/\"']+", html)) <= {"http://localhost"}


def test_docs_need_no_token_but_the_api_does(client):
    assert client.get("/api/docs/").status_code == 200
    assert client.get("/api/openapi.json").status_code == 200
    assert client.get("/api/voicemails").status_code == 401


def test_openapi_document_is_valid_openapi_3_1(client):
    doc = client.get("/api/openapi.json").get_json()
    assert doc["openapi"] == "3.1.0"
    validate(doc)


def test_openapi_types_path_and_query_parameters(client):
    paths = client.get("/api/openapi.json").get_json()["paths"]
    params = {p["name"]: p for p in paths["/api/voicemails"]["get"]["parameters"]}
    assert params["mailbox"]["in"] == "query" and params["mailbox"]["schema"]["type"] == "integer"
    assert params["limit"]["schema"] == {"type": "integer", "minimum": 1, "maximum": 500, "default": 100}
    [path_param] = paths["/api/voicemails/{voicemail_id}"]["patch"]["parameters"]
    assert path_param == {"name": "voicemail_id", "in": "path", "required": True, "schema": {"type": "integer"}}
    [number] = [p for p in paths["/api/optouts/{number}"]["delete"]["parameters"] if p["in"] == "path"]
    assert number["schema"] == {"type": "string"}
    assert {p["name"] for p in paths["/api/messages"]["get"]["parameters"]} == {"status", "to", "sequence", "limit"}


def test_answers_are_described_as_serialized(client):
    schemas = client.get("/api/openapi.json").get_json()["components"]["schemas"]
    voicemail = schemas["VoicemailOut"]["properties"]
    assert {"from", "to", "notification", "is_read"} <= set(voicemail)
    assert not {"from_", "from_number", "to_number", "notify_state"} & set(voicemail)
    message = schemas["MessageOut"]["properties"]
    assert {"to", "error", "cancel_requested"} <= set(message)
    assert not {"error_code", "cancel_requested_at"} & set(message)
    assert "quiet_hours" in schemas["SequenceOut"]["properties"]


def test_errors_from_libraries_keep_our_shape(client):
    missing_asset = client.get("/api/docs/no-such-file.js")
    assert missing_asset.status_code == 404
    assert missing_asset.get_json()["error"]["code"] == "not_found"
    wrong_method = client.put("/api/voicemails", headers=api_headers())
    assert wrong_method.status_code == 405
    assert set(wrong_method.get_json()["error"]) == {"code", "message"}
    bad_query = client.get("/api/messages?sequence=0", headers=api_headers())
    assert bad_query.status_code == 400
    assert bad_query.get_json()["error"]["code"] == "validation_error"
    assert bad_query.get_json()["error"]["field"] == "sequence"
