"""Item 2: DialBridged tells a bridged leg from one that hung up during screening; * before anyone
answers (hangupOnStar) cancels the legs and takes the caller to voicemail."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from tests.support import twiml
from tests.support.builders import OWNER_CELL, OWNER_DESK, OWNER_HOME, call_params, make_mailbox
from voicebox.extensions import db
from voicebox.models import Call

LEG_SID = "CA" + "9" * 32


def dial_action(twilio, attempt: int, status: str, bridged: str | None, duration: str = "0"):
    """The <Dial> action request as Twilio sends it (DialBridged only when given)."""
    params = call_params(
        CallStatus="in-progress", DialCallStatus=status, DialCallSid=LEG_SID, DialCallDuration=duration
    )
    if bridged is not None:
        params["DialBridged"] = bridged
    return twiml(twilio.post(f"/voice/dial-complete?attempt={attempt}", params))


@pytest.fixture
def sequential(app, twilio):
    make_mailbox(forward_to=[OWNER_CELL, OWNER_DESK, OWNER_HOME], ring_mode="sequential")
    twilio.post("/voice/incoming", call_params())


def numbers(root) -> list[str]:
    return [n.text for n in root.findall("Dial/Number")]


def test_a_leg_hanging_up_during_screening_rings_the_next_group(sequential, twilio):
    # The cell's voicemail picked up and hung up on the prompt: no /voice/screen-result ever came.
    assert numbers(dial_action(twilio, 0, "completed", "false", duration="6")) == [OWNER_DESK]
    assert numbers(dial_action(twilio, 1, "completed", "false", duration="3")) == [OWNER_HOME]
    assert [c.tag for c in dial_action(twilio, 2, "completed", "false")][-2:] == ["Say", "Hangup"]  # voicemail
    assert db.session.scalar(select(Call.went_to_voicemail)) is True


def test_a_bridged_leg_ends_the_call(sequential, twilio):
    # The screen-result for the accepting leg may arrive late or be lost: DialBridged is enough.
    assert [c.tag for c in dial_action(twilio, 0, "completed", "true", duration="95")] == ["Hangup"]
    call = db.session.scalar(select(Call))
    assert (call.went_to_voicemail, call.dial_status) == (False, "completed")


def test_star_before_anyone_answers_cancels_the_legs_and_goes_to_voicemail(sequential, twilio):
    root = dial_action(twilio, 0, "canceled", "false")
    assert root.find("Record") is not None and numbers(root) == []


def test_star_after_a_machine_declined_in_the_same_group_still_goes_to_voicemail(sequential, twilio):
    leg = call_params(LEG_SID, ParentCallSid="CA" + "1" * 32, To=OWNER_CELL, Digits="")
    twilio.post("/voice/screen-result", leg)  # a machine's silence: a decline in group 0
    root = dial_action(twilio, 0, "canceled", None)
    assert root.find("Record") is not None and numbers(root) == []


def test_a_retried_dial_action_gives_the_same_answer(sequential, twilio):
    first = dial_action(twilio, 0, "completed", "false")
    again = dial_action(twilio, 0, "completed", "false")
    assert numbers(first) == numbers(again) == [OWNER_DESK]


def test_a_malformed_dial_bridged_is_400_twiml(sequential, twilio):
    params = call_params(DialCallStatus="completed", DialBridged="maybe")
    response = twilio.post("/voice/dial-complete?attempt=0", params)
    assert response.status_code == 400
    assert twiml(response).find("Say") is not None
