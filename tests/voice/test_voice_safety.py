"""Signatures, malformed input and failures: Twilio always gets TwiML, never an HTML page."""

from __future__ import annotations

import logging
import os
from pathlib import Path

import pytest
from sqlalchemy import func, select, text
from twilio.request_validator import RequestValidator

from tests.support import Twilio, twiml
from tests.support.builders import call_params, make_mailbox
from voicebox.extensions import db
from voicebox.models import Call
from voicebox.webhooks import twilio_signed

ROUTES = [
    "/voice/incoming",
    "/voice/screen",
    "/voice/screen-result",
    "/voice/dial-complete",
    "/voice/recording",
    "/voice/recording-status",
    "/voice/transcription",
]


@pytest.mark.parametrize("path", ROUTES)
def test_missing_signature_is_403_and_logged(app, twilio, path, caplog):
    with caplog.at_level(logging.WARNING, logger="voicebox.webhooks"):
        response = twilio.post(path, call_params(), signature="")
    assert response.status_code == 403
    assert b"<html" not in response.data.lower()
    assert f"rejected POST {path}: missing X-Twilio-Signature" in caplog.text


@pytest.mark.parametrize("path", ROUTES)
def test_forged_signature_is_403(app, client, path):
    forger = Twilio(client, token="not-the-auth-token")
    response = forger.post(path, call_params())
    assert response.status_code == 403
    assert db.session.scalar(select(func.count()).select_from(Call)) == 0


def test_signature_over_other_params_is_rejected(app, twilio):
    make_mailbox()
    good = Twilio(twilio.client).validator.compute_signature("http://localhost/voice/incoming", call_params())
    tampered = call_params(From="+19005550100")
    assert twilio.post("/voice/incoming", tampered, signature=good).status_code == 403


def test_proxied_request_validates_against_public_base_url(make_app, caplog):
    # Behind ngrok the app sees http://localhost/..., but Twilio signed https://<ngrok host>/...
    app = make_app(PUBLIC_BASE_URL="https://voicebox.example.com")
    with app.app_context():
        make_mailbox()
        client = app.test_client()
        public = Twilio(client, public_base="https://voicebox.example.com")
        assert public.post("/voice/incoming", call_params()).status_code == 200
        # The query string is part of what Twilio signs.
        signed = public.post("/voice/dial-complete?attempt=0", call_params(DialCallStatus="busy"))
        assert signed.status_code == 200
        local = Twilio(client)  # signed for the URL the app sees, not the public one
        with caplog.at_level(logging.WARNING, logger="voicebox.webhooks"):
            assert local.post("/voice/incoming", call_params()).status_code == 403
        assert "validated against https://voicebox.example.com/voice/incoming" in caplog.text


def test_query_string_tampering_is_rejected(app, twilio):
    make_mailbox()
    params = call_params(DialCallStatus="no-answer")
    sig = twilio.validator.compute_signature("http://localhost/voice/dial-complete?attempt=0", params)
    assert twilio.post("/voice/dial-complete?attempt=1", params, signature=sig).status_code == 403


def test_validation_cannot_be_switched_off_by_testing_mode(app, twilio):
    assert app.config["TESTING"] is True
    assert twilio.post("/voice/incoming", call_params(), signature="").status_code == 403


# --- malformed input -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("path", "params"),
    [
        ("/voice/incoming", call_params(To="")),
        ("/voice/incoming", {"From": "+14155550199", "To": "+14155550100"}),
        ("/voice/incoming", call_params(To="415-555-0100")),
        ("/voice/incoming", call_params(To="+1")),
        ("/voice/dial-complete", call_params()),  # no DialCallStatus
        ("/voice/dial-complete?attempt=x", call_params(DialCallStatus="busy")),
        ("/voice/recording-status", {"CallSid": "CA1", "RecordingStatus": "completed"}),
        ("/voice/recording-status", {"RecordingSid": "RE1", "RecordingStatus": "completed", "RecordingDuration": "x"}),
        (
            "/voice/recording-status",
            {"RecordingSid": "RE1", "RecordingStatus": "completed", "RecordingDuration": "9" * 30},
        ),
        ("/voice/transcription", {"RecordingSid": "RE1"}),
        ("/voice/screen-result", {"Digits": "1", "CallSid": "CA2"}),  # accepting needs ParentCallSid
    ],
)
def test_malformed_input_is_a_clear_400_in_twiml(app, twilio, path, params, caplog):
    with caplog.at_level(logging.WARNING, logger="voicebox.voice"):
        response = twilio.post(path, params)
    assert response.status_code == 400
    root = twiml(response)
    assert [child.tag for child in root] == ["Say", "Hangup"]
    assert f"bad {path.split('?')[0]} webhook" in caplog.text


def test_wrong_method_is_not_an_html_page(app, client):
    response = client.get("/voice/incoming")
    assert response.status_code == 405
    twiml(response)


# --- failures inside a route ---------------------------------------------------------------------


@pytest.fixture
def broken_calls_table(app):
    """Make the database fail for real: the calls table disappears for the duration of a test."""
    db.session.execute(text("ALTER TABLE calls RENAME TO calls_gone"))
    db.session.commit()
    yield
    db.session.rollback()
    db.session.execute(text("ALTER TABLE calls_gone RENAME TO calls"))
    db.session.commit()


def test_exception_in_incoming_still_takes_a_voicemail(app, twilio, broken_calls_table, caplog):
    with caplog.at_level(logging.ERROR, logger="voicebox.voice"):
        response = twilio.post("/voice/incoming", call_params())
    assert response.status_code == 200
    root = twiml(response)
    assert [child.tag for child in root] == ["Say", "Say", "Record", "Say", "Hangup"]
    assert "trouble" in root[0].text
    status_callback = root.find("Record").get("recordingStatusCallback")
    assert status_callback.startswith("http://localhost/voice/recording-status?to=%2B")  # the mailbox, for later
    assert "voice webhook /voice/incoming failed" in caplog.text
    assert "Traceback" in caplog.text


def test_exception_in_dial_complete_still_takes_a_voicemail(app, twilio, broken_calls_table):
    response = twilio.post("/voice/dial-complete?attempt=0", call_params(DialCallStatus="no-answer"))
    assert response.status_code == 200
    assert twiml(response).find("Record") is not None


def test_exception_on_a_screened_leg_hangs_that_leg_up(app, twilio, broken_calls_table):
    leg = call_params("CA" + "9" * 32, ParentCallSid="CA" + "1" * 32, Digits="1")
    response = twilio.post("/voice/screen-result", leg)
    assert response.status_code == 200
    assert [child.tag for child in twiml(response)] == ["Hangup"]


def test_exception_in_a_recording_callback_is_a_500_in_twiml(app, twilio, caplog):
    # No caller hears these callbacks: a 500 (still TwiML, never HTML) shows the loss in Twilio's debugger.
    db.session.execute(text("ALTER TABLE voicemails RENAME TO voicemails_gone"))
    db.session.commit()
    try:
        params = {"CallSid": "CA1", "RecordingSid": "RE1", "RecordingStatus": "completed", "RecordingDuration": "5"}
        response = twilio.post("/voice/recording-status", params)
        transcribed = twilio.post("/voice/transcription", {**params, "TranscriptionStatus": "completed"})
    finally:
        db.session.rollback()
        db.session.execute(text("ALTER TABLE voicemails_gone RENAME TO voicemails"))
        db.session.commit()
    for answer in (response, transcribed):
        assert answer.status_code == 500
        assert list(twiml(answer)) == []


def test_the_app_recovers_after_the_failure(app, twilio, broken_calls_table):
    twilio.post("/voice/incoming", call_params())
    db.session.execute(text("ALTER TABLE calls_gone RENAME TO calls"))
    db.session.commit()
    make_mailbox()
    assert twiml(twilio.post("/voice/incoming", call_params())).find("Dial") is not None
    db.session.execute(text("ALTER TABLE calls RENAME TO calls_gone"))  # for the fixture's teardown
    db.session.commit()


# --- schema ----------------------------------------------------------------------------------------

# The schema lives in shared/ beside the checkout (or beside the folder of worktrees).
XSD = next(
    (
        xsd
        for up in Path(__file__).resolve().parents
        if (xsd := up / "shared/twiml/twiml_voicebox_patched.xsd").exists()
    ),
    Path("../shared/twiml/twiml_voicebox_patched.xsd"),
)


def test_every_kind_of_answer_is_valid_twiml(app, twilio):
    if not XSD.exists():
        pytest.skip(f"TwiML schema not found at {XSD} (it lives in ../shared beside the checkout)")
    from lxml import etree

    schema = etree.XMLSchema(etree.parse(os.fspath(XSD)))
    make_mailbox(greeting="Hello", forward_to=["+14155550111", "+14155550122"], ring_mode="sequential")
    leg = call_params("CA" + "9" * 32, ParentCallSid="CA" + "1" * 32)
    answers = [
        twilio.post("/voice/incoming", call_params()),
        twilio.post("/voice/incoming", call_params(To="+14155550177")),
        twilio.post("/voice/screen", leg),
        twilio.post("/voice/screen-result", {**leg, "Digits": "2"}),
        twilio.post("/voice/screen-result", {**leg, "Digits": "1"}),
        twilio.post("/voice/dial-complete?attempt=0", call_params(DialCallStatus="no-answer")),
        twilio.post("/voice/dial-complete?attempt=1", call_params(DialCallStatus="no-answer")),
        twilio.post(
            "/voice/recording", call_params(RecordingSid="RE1", RecordingUrl="https://x", RecordingDuration="3")
        ),
        twilio.post("/voice/incoming", call_params(To="nonsense")),
    ]
    for response in answers:
        document = etree.fromstring(response.data)
        # Gather's actionOnEmptyResult is documented by Twilio but newer than the (2016-based) schema.
        for gather in document.iter("Gather"):
            assert gather.attrib.pop("actionOnEmptyResult") == "true"
        assert schema.validate(document), (response.data, schema.error_log)


# Twilio's worked example from its webhook security docs: auth token 12345, a URL with a query string,
# these parameters, and the X-Twilio-Signature Twilio sends for them.
DOCUMENTED_URL = "https://mycompany.com/myapp.php?foo=1&bar=2"
DOCUMENTED_PARAMS = {
    "CallSid": "CA1234567890ABCDE",
    "Caller": "+14158675309",
    "Digits": "1234",
    "From": "+14158675309",
    "To": "+18005551212",
}
DOCUMENTED_SIGNATURE = "RSOYDt4T1cUTdK1PDd93/VVr8B8="


def test_signing_helper_matches_twilio_documented_example():
    # Proves the tests sign the way Twilio does (every other test relies on it).
    validator = RequestValidator("12345")
    assert validator.compute_signature(DOCUMENTED_URL, DOCUMENTED_PARAMS) == DOCUMENTED_SIGNATURE


@pytest.mark.parametrize("public_base", [None, "https://mycompany.com"])
def test_our_signature_check_accepts_twilio_documented_example(make_app, public_base):
    # Direct, or behind a proxy that Twilio reaches as https://mycompany.com while we see http://localhost.
    app = make_app(TWILIO_AUTH_TOKEN="12345", PUBLIC_BASE_URL=public_base)
    app.add_url_rule("/myapp.php", "documented", twilio_signed(lambda: "accepted"), methods=["POST"])
    client = app.test_client()
    base_url = "https://mycompany.com" if public_base is None else "http://localhost"

    def post(query="foo=1&bar=2", params=DOCUMENTED_PARAMS, signature=DOCUMENTED_SIGNATURE):
        headers = {"X-Twilio-Signature": signature}
        return client.post(f"/myapp.php?{query}", base_url=base_url, data=params, headers=headers)

    assert post().status_code == 200
    assert post(params={**DOCUMENTED_PARAMS, "Digits": "1235"}).status_code == 403
    assert post(query="foo=1&bar=3").status_code == 403
    assert post(query="foo=1").status_code == 403
    assert post(signature=DOCUMENTED_SIGNATURE.lower()).status_code == 403
