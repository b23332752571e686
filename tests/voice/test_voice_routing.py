"""Incoming calls: forwarding, screening, ring modes, and the way to voicemail."""

from __future__ import annotations

from urllib.parse import urlencode

import pytest
from sqlalchemy import select

from tests.support import twiml
from tests.support.builders import CALLER, OWNER_CELL, OWNER_DESK, OWNER_HOME, TWILIO_NUMBER, call_params, make_mailbox
from voicebox.extensions import db
from voicebox.models import Call
from voicebox.urls import RETRY_OVERRIDES

BASE = "http://localhost"


def dial_complete(twilio, status: str, attempt: int = 0, **extra):
    return twilio.post(f"/voice/dial-complete?attempt={attempt}", call_params(DialCallStatus=status, **extra))


def assert_voicemail(root, base: str = BASE):
    """The caller hears the prompt, then <Record> with every attribute voicemail depends on."""
    children = [child.tag for child in root]
    assert children == ["Say", "Record", "Say", "Hangup"]
    assert "beep" in root[0].text
    record = root.find("Record")
    call = "?" + urlencode({"to": TWILIO_NUMBER, "caller": CALLER})  # what later callbacks need
    assert record.attrib == {
        "maxLength": "119",
        "finishOnKey": "#",
        "playBeep": "true",
        "trim": "trim-silence",
        "action": f"{base}/voice/recording{call}",
        "method": "POST",
        "transcribe": "true",
        "transcribeCallback": f"{base}/voice/transcription{call}#{RETRY_OVERRIDES}",
        "recordingStatusCallback": f"{base}/voice/recording-status{call}#{RETRY_OVERRIDES}",
        "recordingStatusCallbackMethod": "POST",
        "recordingStatusCallbackEvent": "completed absent",
    }


def test_incoming_screened_single_target_dials_with_the_screen_url(app, twilio):
    # (A screened group of several phones rings through the REST API: tests/twilio_behaviour.)
    make_mailbox(forward_to=[OWNER_CELL], greeting="Thanks for calling Acme.")
    root = twiml(twilio.post("/voice/incoming", call_params()))
    assert [child.tag for child in root] == ["Say", "Dial"]
    assert root[0].text == "Thanks for calling Acme."
    dial = root.find("Dial")
    assert dial.attrib == {
        "timeout": "20",
        "action": f"{BASE}/voice/dial-complete?attempt=0",
        "method": "POST",
        "answerOnBridge": "true",
        "hangupOnStar": "true",
    }
    numbers = dial.findall("Number")
    assert [n.text for n in numbers] == [OWNER_CELL]
    assert all(n.get("url") == f"{BASE}/voice/screen" for n in numbers)


def test_incoming_stores_the_call(app, twilio):
    mailbox = make_mailbox()
    twilio.post("/voice/incoming", call_params())
    call = db.session.scalar(select(Call))
    assert (call.call_sid, call.from_number, call.to_number, call.mailbox_id) == (
        "CA" + "1" * 32,
        CALLER,
        TWILIO_NUMBER,
        mailbox.id,
    )


def test_unscreened_numbers_have_no_whisper_url(app, twilio):
    make_mailbox(screen_calls=False, ring_timeout=35)
    dial = twiml(twilio.post("/voice/incoming", call_params())).find("Dial")
    assert dial.get("timeout") == "35"
    assert dial.find("Number").attrib == {}


def test_incoming_without_targets_goes_straight_to_voicemail(app, twilio):
    make_mailbox(forward_to=[])
    assert_voicemail(twiml(twilio.post("/voice/incoming", call_params())))


@pytest.mark.parametrize("enabled", [None, False])
def test_unknown_or_disabled_number_is_refused_politely(app, twilio, enabled):
    if enabled is False:
        make_mailbox(enabled=False, language="es-ES", voice="Polly.Lucia")
    response = twilio.post("/voice/incoming", call_params())
    assert response.status_code == 200
    root = twiml(response)
    assert [child.tag for child in root] == ["Say", "Hangup"]
    say = root.find("Say")
    if enabled is None:
        assert (say.get("language"), say.get("voice")) == ("en-US", "Polly.Joanna-Neural")
        assert "not taking calls" in say.text
    else:
        assert (say.get("language"), say.get("voice")) == ("es-ES", "Polly.Lucia")
        assert "no recibe llamadas" in say.text


def test_callback_urls_use_public_base_url(make_app):
    from tests.support import Twilio

    app = make_app(PUBLIC_BASE_URL="https://abc123.ngrok.app/")
    with app.app_context():
        make_mailbox()
        twilio = Twilio(app.test_client(), public_base="https://abc123.ngrok.app")
        dial = twiml(twilio.post("/voice/incoming", call_params())).find("Dial")
        assert dial.get("action") == "https://abc123.ngrok.app/voice/dial-complete?attempt=0"
        assert dial.find("Number").get("url") == "https://abc123.ngrok.app/voice/screen"
        root = twiml(twilio.post("/voice/dial-complete?attempt=0", call_params(DialCallStatus="no-answer")))
        assert_voicemail(root, base="https://abc123.ngrok.app")


# --- dial outcomes -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("status", "answered"),
    [
        ("completed", True),
        ("answered", True),
        ("busy", False),
        ("no-answer", False),
        ("failed", False),
        ("canceled", False),
    ],
)
def test_every_dial_status_without_screening(app, twilio, status, answered):
    make_mailbox(screen_calls=False)
    twilio.post("/voice/incoming", call_params())
    root = twiml(dial_complete(twilio, status))
    if answered:
        assert [child.tag for child in root] == ["Hangup"]
    else:
        assert_voicemail(root)
    call = db.session.scalar(select(Call))
    assert call.dial_status == status
    assert call.went_to_voicemail is (not answered)


@pytest.mark.parametrize("status", ["completed", "answered", "busy", "no-answer", "failed", "canceled"])
def test_screened_call_nobody_accepted_goes_to_voicemail_whatever_the_status(app, twilio, status):
    # A carrier voicemail "answers" (completed) but never presses 1: that is not an answer.
    make_mailbox()
    twilio.post("/voice/incoming", call_params())
    assert_voicemail(twiml(dial_complete(twilio, status)))


def test_screened_call_accepted_then_finished_hangs_up(app, twilio):
    make_mailbox()
    twilio.post("/voice/incoming", call_params())
    leg = call_params("CA" + "9" * 32, ParentCallSid="CA" + "1" * 32, To=OWNER_CELL, Digits="1")
    assert list(twiml(twilio.post("/voice/screen-result", leg))) == []
    call = db.session.scalar(select(Call))
    assert (call.screen_accepted, call.accepted_by) == (True, OWNER_CELL)
    assert [child.tag for child in twiml(dial_complete(twilio, "completed"))] == ["Hangup"]


def test_caller_pressing_star_before_acceptance_skips_remaining_groups(app, twilio):
    # hangupOnStar ends the forwarded leg with DialCallStatus=completed; with nobody accepted the
    # caller asked for voicemail, so we do not ring the next sequential target.
    make_mailbox(forward_to=[OWNER_CELL, OWNER_DESK], ring_mode="sequential")
    twilio.post("/voice/incoming", call_params())
    assert_voicemail(twiml(dial_complete(twilio, "completed")))


# --- screening -----------------------------------------------------------------------------------


def test_screen_prompt_reads_the_caller_digit_by_digit(app, twilio):
    make_mailbox()
    twilio.post("/voice/incoming", call_params())
    leg = call_params("CA" + "9" * 32, ParentCallSid="CA" + "1" * 32, To=OWNER_CELL, From=TWILIO_NUMBER)
    root = twiml(twilio.post("/voice/screen", leg))
    assert [child.tag for child in root] == ["Gather", "Hangup"]
    gather = root.find("Gather")
    assert gather.get("numDigits") == "1"
    assert gather.get("actionOnEmptyResult") == "true"  # silence (a machine) is reported as a decline
    assert gather.get("action") == f"{BASE}/voice/screen-result"
    assert gather.get("timeout") == "8"
    assert gather.find("Say").text == "Call for Support from 1 4 1 5 5 5 5 0 1 9 9. Press 1 to accept."


def test_screen_prompt_for_an_anonymous_caller(app, twilio):
    make_mailbox(language="zh-CN")
    twilio.post("/voice/incoming", call_params(From="anonymous"))
    leg = call_params("CA" + "9" * 32, ParentCallSid="CA" + "1" * 32, To=OWNER_CELL)
    say = twiml(twilio.post("/voice/screen", leg)).find("Gather/Say")
    assert say.get("language") == "cmn-CN"  # Twilio lists Mandarin voices under cmn-CN
    assert say.text.startswith("未知号码")


@pytest.mark.parametrize("digits", ["2", "", "*", "11"])
def test_screen_declined_hangs_up_the_leg(app, twilio, digits):
    make_mailbox()
    twilio.post("/voice/incoming", call_params())
    leg = call_params("CA" + "9" * 32, ParentCallSid="CA" + "1" * 32, To=OWNER_CELL, Digits=digits)
    assert [child.tag for child in twiml(twilio.post("/voice/screen-result", leg))] == ["Hangup"]
    assert db.session.scalar(select(Call)).screen_accepted is False
    assert_voicemail(twiml(dial_complete(twilio, "no-answer")))


# --- ring modes ----------------------------------------------------------------------------------


def test_sequential_rings_each_target_in_turn_then_voicemail(app, twilio):
    make_mailbox(forward_to=[OWNER_CELL, OWNER_DESK, OWNER_HOME], ring_mode="sequential")
    first = twiml(twilio.post("/voice/incoming", call_params())).find("Dial")
    assert [n.text for n in first.findall("Number")] == [OWNER_CELL]
    second = twiml(dial_complete(twilio, "no-answer", attempt=0)).find("Dial")
    assert [n.text for n in second.findall("Number")] == [OWNER_DESK]
    assert second.get("action") == f"{BASE}/voice/dial-complete?attempt=1"
    assert second.find("Number").get("url") == f"{BASE}/voice/screen"
    third = twiml(dial_complete(twilio, "busy", attempt=1)).find("Dial")
    assert [n.text for n in third.findall("Number")] == [OWNER_HOME]
    assert_voicemail(twiml(dial_complete(twilio, "failed", attempt=2)))
    assert db.session.scalar(select(Call)).dial_attempt == 2


def test_sequential_answer_on_second_target_ends_the_call(app, twilio):
    make_mailbox(forward_to=[OWNER_CELL, OWNER_DESK], ring_mode="sequential", screen_calls=False)
    twilio.post("/voice/incoming", call_params())
    twiml(dial_complete(twilio, "no-answer", attempt=0))
    assert [child.tag for child in twiml(dial_complete(twilio, "completed", attempt=1))] == ["Hangup"]


@pytest.mark.parametrize("digits", ["2", ""])  # "" is silence: carrier voicemail or a machine
def test_sequential_screened_decline_rings_the_next_target(app, twilio, digits):
    make_mailbox(forward_to=[OWNER_CELL, OWNER_DESK], ring_mode="sequential")
    twilio.post("/voice/incoming", call_params())
    leg = call_params("CA" + "9" * 32, ParentCallSid="CA" + "1" * 32, To=OWNER_CELL, Digits=digits)
    assert [c.tag for c in twiml(twilio.post("/voice/screen-result", leg))] == ["Hangup"]
    # The declined leg answered and hung up, so the <Dial> ends "completed" with nobody accepted.
    second = twiml(dial_complete(twilio, "completed", attempt=0)).find("Dial")
    assert [n.text for n in second.findall("Number")] == [OWNER_DESK]
    # The desk declines too: that was the last group, so the caller leaves a voicemail.
    desk = call_params("CA" + "8" * 32, ParentCallSid="CA" + "1" * 32, To=OWNER_DESK, Digits=digits)
    twilio.post("/voice/screen-result", desk)
    assert_voicemail(twiml(dial_complete(twilio, "completed", attempt=1)))


def test_star_after_a_decline_in_an_earlier_group_still_goes_to_voicemail(app, twilio):
    make_mailbox(forward_to=[OWNER_CELL, OWNER_DESK, OWNER_HOME], ring_mode="sequential")
    twilio.post("/voice/incoming", call_params())
    leg = call_params("CA" + "9" * 32, ParentCallSid="CA" + "1" * 32, To=OWNER_CELL, Digits="")
    twilio.post("/voice/screen-result", leg)
    twiml(dial_complete(twilio, "completed", attempt=0))  # declined: the desk rings now
    assert_voicemail(twiml(dial_complete(twilio, "completed", attempt=1)))  # nobody declined: caller pressed *


def test_greeting_is_said_once_not_before_each_sequential_dial(app, twilio):
    make_mailbox(forward_to=[OWNER_CELL, OWNER_DESK], ring_mode="sequential", greeting="Hello")
    assert [c.tag for c in twiml(twilio.post("/voice/incoming", call_params()))] == ["Say", "Dial"]
    assert [c.tag for c in twiml(dial_complete(twilio, "no-answer"))] == ["Dial"]


# --- recording -----------------------------------------------------------------------------------


def test_record_action_thanks_the_caller(app, twilio):
    make_mailbox()
    params = call_params(RecordingSid="RE" + "1" * 32, RecordingUrl="https://api.twilio.com/x", RecordingDuration="7")
    root = twiml(twilio.post("/voice/recording", params))
    assert [child.tag for child in root] == ["Say", "Hangup"]
    assert "Thank you" in root.find("Say").text
