"""Hypothesis posts random, oversized and non-UTF-8 forms, validly signed, to every Twilio route.

Every answer must be 2xx TwiML or 4xx (TwiML too), nothing may be logged as a failure (the voice
routes answer fallback TwiML on a crash, so the log is where a crash would show), and a 4xx must
leave the database exactly as it was.
"""

from __future__ import annotations

import logging
import xml.etree.ElementTree as ET
from urllib.parse import urlencode

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import func, select
from twilio.request_validator import RequestValidator
from werkzeug.wrappers import Request

from tests.support import AUTH_TOKEN
from tests.support.builders import CALLER, OWNER_CELL, TWILIO_NUMBER, make_mailbox
from voicebox.extensions import db

SID = {p: p + "0" * 32 for p in ("CA", "RE", "SM", "MM", "TR", "CH", "MB", "DY", "IS")}
VALID = {
    "AccountSid": "AC" + "0" * 32,
    "CallSid": SID["CA"],
    "ParentCallSid": "CA" + "1" * 32,
    "From": CALLER,
    "To": TWILIO_NUMBER,
    "CallStatus": "ringing",
    "Direction": "inbound",
    "Digits": "1",
    "DialCallStatus": "no-answer",
    "RecordingSid": SID["RE"],
    "RecordingUrl": "https://api.twilio.com/2010-04-01/Accounts/AC00/Recordings/" + SID["RE"],
    "RecordingStatus": "completed",
    "RecordingDuration": "42",
    "TranscriptionSid": SID["TR"],
    "TranscriptionText": "please call back",
    "TranscriptionStatus": "completed",
    "MessageSid": SID["SM"],
    "MessageStatus": "delivered",
    "ErrorCode": "30003",
    "Body": "hello",
    "NumMedia": "1",
    "MediaUrl0": "https://api.twilio.com/2010-04-01/Accounts/AC00/Messages/MM00/Media/ME00",
    "MediaContentType0": "image/jpeg",
    "OptOutType": "STOP",
    "EventType": "onDeliveryUpdated",
    "ConversationSid": SID["CH"],
    "ParticipantSid": SID["MB"],
    "DeliveryReceiptSid": SID["DY"],
    "Status": "undelivered",
    "MessagingBinding.Address": OWNER_CELL,
}
CALL = ("CallSid", "From", "To", "CallStatus", "Direction")
RECORDING = ("CallSid", "RecordingSid", "RecordingUrl", "RecordingStatus", "RecordingDuration", "ErrorCode")
# Each route with the parameters it reads: mutations aim there, where a crash would be.
ROUTES = {
    "/voice/incoming": CALL,
    "/voice/screen": (*CALL, "ParentCallSid"),
    "/voice/screen-result": (*CALL, "ParentCallSid", "Digits"),
    "/voice/dial-complete": (*CALL, "DialCallStatus"),
    "/voice/recording": (*RECORDING, "To"),
    "/voice/recording-status": RECORDING,
    "/voice/transcription": ("CallSid", "RecordingSid", "TranscriptionSid", "TranscriptionText", "TranscriptionStatus"),
    "/sms/status": ("MessageSid", "MessageStatus", "ErrorCode", "To", "From"),
    "/sms/incoming": ("MessageSid", "From", "To", "Body", "NumMedia", "MediaUrl0", "OptOutType"),
    "/conversations/events": (
        "EventType",
        "ConversationSid",
        "ParticipantSid",
        "DeliveryReceiptSid",
        "Status",
        "ErrorCode",
        "MessageSid",
        "MessagingBinding.Address",
    ),
}
NASTY = ["", " ", "+", "STOP", "null", "\x00", "\r\nX: y", "%", "é" * 50, "onParticipantAdded", "+1415555012"]
NASTY_NUMBERS = ["²", "١٢", "-1", "1.5", "99999999999999999999999"]

# A value: ordinary text, a nasty classic or number, raw bytes that are not UTF-8, or something big.
values = st.one_of(
    st.text(max_size=40),
    st.sampled_from(NASTY),
    st.sampled_from(NASTY_NUMBERS),
    st.binary(min_size=1, max_size=40).filter(lambda b: not _is_utf8(b)),
    st.integers(min_value=1, max_value=200_000).map(lambda n: "x" * n),
)


def _is_utf8(data: bytes) -> bool:
    try:
        data.decode("utf-8")
    except UnicodeDecodeError:
        return False
    return True


@pytest.fixture(name="app")
def webhook_app(make_app):
    app = make_app()
    with app.app_context():
        make_mailbox()
        yield app


def row_counts() -> dict[str, int]:
    db.session.rollback()  # see other connections' commits
    return {t.name: db.session.scalar(select(func.count()).select_from(t)) for t in db.metadata.sorted_tables}


def signed_post(client, path: str, fields: dict[str, str | bytes]):
    """POST the form as Twilio would, signed over the values the server will read from it."""
    body = urlencode(fields).encode("ascii")
    content_type = "application/x-www-form-urlencoded"
    seen = Request.from_values(data=body, content_type=content_type, method="POST").form.to_dict(flat=True)
    signature = RequestValidator(AUTH_TOKEN).compute_signature("http://localhost" + path, seen)
    return client.post(path, data=body, content_type=content_type, headers={"X-Twilio-Signature": signature})


def post_and_check(client, caplog, path: str, fields: dict) -> None:
    """One signed POST: 2xx or 4xx TwiML, nothing logged as an error, a 4xx writes nothing."""
    before = row_counts()
    caplog.clear()
    with caplog.at_level(logging.ERROR):
        response = signed_post(client, path, fields)
    assert response.status_code < 500, (response.status_code, response.data[:300])
    assert response.status_code != 403, "the signature must be valid: the fuzzing is past the door"
    assert response.mimetype == "text/xml" and ET.fromstring(response.data).tag == "Response"
    assert not [r for r in caplog.records if r.levelno >= logging.ERROR], caplog.text[-2000:]
    if response.status_code >= 400:
        assert row_counts() == before, f"{response.status_code} after writing rows"


@pytest.mark.parametrize("path", sorted(ROUTES))
def test_every_nasty_value_in_every_parameter(app, client, caplog, path):
    # The systematic half: each parameter the route reads, alone, set to each nasty value.
    nasty = [*NASTY, *NASTY_NUMBERS, b"\xff\xfe", "x" * 100_000]
    for name in ROUTES[path]:
        for value in nasty:
            post_and_check(client, caplog, path, {**VALID, name: value})


@pytest.mark.parametrize("path", sorted(ROUTES))
def test_random_signed_forms_never_break_a_twilio_route(app, client, caplog, path):
    # The random half: several parameters at once, any names, dropped ones, bigger bodies.
    keys = st.one_of(st.sampled_from(ROUTES[path]), st.sampled_from(sorted(VALID)), st.text(min_size=1, max_size=20))
    dropped = st.sets(st.sampled_from(ROUTES[path]), max_size=2)

    @given(changes=st.dictionaries(keys, values, max_size=4), dropped=dropped)
    @settings(max_examples=40, derandomize=True, deadline=None, database=None, suppress_health_check=list(HealthCheck))
    def check(changes, dropped):
        post_and_check(client, caplog, path, {k: v for k, v in VALID.items() if k not in dropped} | changes)

    check()
