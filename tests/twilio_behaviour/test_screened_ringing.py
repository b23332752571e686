"""Item 1: screened simultaneous ringing that a carrier's voicemail cannot beat.

The caller waits in an <Enqueue>; one REST leg per phone (calls.create, checked by Prism against
Twilio's spec); the first callee to press 1 dials the queue; the others are ended through the REST
API; at the ring timeout an RQ job redirects the caller onwards. Every webhook is signed as Twilio
signs it, with the parameters Twilio sends for calls it created through the REST API.
"""

from __future__ import annotations

from datetime import timedelta
from urllib.parse import parse_qs, urlsplit

import pytest
import time_machine
from sqlalchemy import select

from tests.support import twiml, work
from tests.support.builders import CALLER, OWNER_CELL, OWNER_DESK, OWNER_HOME, TWILIO_NUMBER, call_params, make_mailbox
from tests.twilio_behaviour.conftest import PUBLIC
from voicebox.extensions import db
from voicebox.models import Call, Ring, RingState, utcnow

CALL_SID = "CA" + "1" * 32
TARGETS = [OWNER_CELL, OWNER_DESK, OWNER_HOME]


@pytest.fixture
def caller_waiting(public_app, signed, prism):
    """A screened mailbox ringing three phones at once; the caller has just called."""
    make_mailbox(forward_to=TARGETS, ring_timeout=20)
    prism.calls[CALL_SID] = {"to": TWILIO_NUMBER, "status": "in-progress", "url": None}  # Twilio knows the caller
    root = twiml(signed.post("/voice/incoming", call_params(CALL_SID)))
    return root


def legs(prism) -> dict[str, str]:
    """Target number -> the CallSid Twilio (Prism) gave its leg."""
    return {e.data["To"]: e.body["sid"] for e in prism.call_creates() if e.accepted_by_prism and e.status == 201}


def ring_id() -> int:
    return db.session.scalar(select(Ring.id))


def leg_params(leg_sid: str, to: str, **extra) -> dict:
    """What Twilio posts for a call voicebox created with calls.create."""
    return {
        "AccountSid": "AC" + "0" * 32,
        "CallSid": leg_sid,
        "From": TWILIO_NUMBER,
        "To": to,
        "Direction": "outbound-api",
        "ApiVersion": "2010-04-01",
        "CallStatus": "in-progress",
        **extra,
    }


def status(signed, leg_sid, to, call_status, **extra):
    params = leg_params(leg_sid, to, CallStatus=call_status, CallbackSource="call-progress-events", **extra)
    response = signed.post(f"/voice/ring/status?ring={ring_id()}", params)
    assert response.status_code == 200
    return response


def screen(signed, leg_sid, to):
    return twiml(signed.post(f"/voice/ring/screen?ring={ring_id()}", leg_params(leg_sid, to)))


def press(signed, leg_sid, to, digits):
    return twiml(signed.post(f"/voice/ring/answer?ring={ring_id()}", leg_params(leg_sid, to, Digits=digits)))


def updates_to(prism, sid: str) -> list[dict]:
    return [e.data for e in prism.call_updates() if e.path.endswith(f"/{sid}.json")]


def test_caller_waits_in_a_queue_and_each_phone_gets_its_own_rest_leg(caller_waiting, prism):
    root = caller_waiting
    assert [child.tag for child in root] == ["Enqueue"]  # hold music, never silence; no <Dial> to race
    enqueue = root.find("Enqueue")
    assert enqueue.text == f"voicebox-{CALL_SID}-0"
    assert enqueue.get("action") == f"{PUBLIC}/voice/ring/left?ring={ring_id()}"
    work()
    creates = prism.call_creates()
    assert [e.data["To"] for e in creates] == TARGETS
    for e in creates:
        assert e.accepted_by_prism, e.body
        assert e.data["From"] == TWILIO_NUMBER
        assert e.data["Url"] == f"{PUBLIC}/voice/ring/screen?ring={ring_id()}"
        assert str(e.data["Timeout"]) == "20"
        assert e.data["StatusCallback"] == f"{PUBLIC}/voice/ring/status?ring={ring_id()}"


def test_a_machine_answering_first_does_not_stop_the_others_and_the_first_1_wins(caller_waiting, signed, prism):
    work()
    sid = legs(prism)
    # The cell is off: its carrier voicemail answers within seconds and hears the prompt in silence.
    status(signed, sid[OWNER_CELL], OWNER_CELL, "in-progress")
    assert screen(signed, sid[OWNER_CELL], OWNER_CELL).find("Gather") is not None
    assert [c.tag for c in press(signed, sid[OWNER_CELL], OWNER_CELL, "")] == ["Hangup"]
    work()
    assert prism.call_updates() == []  # the desk and home phones ring on

    # The desk answers and presses 1: bridged to the caller's queue.
    screen(signed, sid[OWNER_DESK], OWNER_DESK)
    root = press(signed, sid[OWNER_DESK], OWNER_DESK, "1")
    assert root.find("Dial/Queue").text == f"voicebox-{CALL_SID}-0"
    work()
    # The home phone, still ringing, is canceled through the REST API; the declined cell is left alone.
    assert updates_to(prism, sid[OWNER_HOME]) == [{"Status": "canceled"}]
    assert updates_to(prism, sid[OWNER_CELL]) == []
    assert all(e.accepted_by_prism for e in prism.call_updates())
    call = db.session.scalar(select(Call))
    assert (call.screen_accepted, call.accepted_by) == (True, OWNER_DESK)


def test_duplicates_and_late_callbacks_are_harmless(caller_waiting, signed, prism):
    again = twiml(signed.post("/voice/incoming", call_params(CALL_SID)))  # Twilio retried the webhook
    assert again.find("Enqueue").text == caller_waiting.find("Enqueue").text
    work()
    assert len(prism.call_creates()) == 3  # one leg per phone, however many times we were asked
    sid = legs(prism)
    screen(signed, sid[OWNER_DESK], OWNER_DESK)
    screen(signed, sid[OWNER_HOME], OWNER_HOME)
    assert press(signed, sid[OWNER_DESK], OWNER_DESK, "1").find("Dial/Queue") is not None
    assert press(signed, sid[OWNER_DESK], OWNER_DESK, "1").find("Dial/Queue") is not None  # retried: still the winner
    late = press(signed, sid[OWNER_HOME], OWNER_HOME, "1")  # pressed 1 a moment too late
    assert [c.tag for c in late] == ["Say", "Hangup"]
    # Status callbacks out of order: "completed" then a stale "ringing".
    status(signed, sid[OWNER_CELL], OWNER_CELL, "completed", CallDuration="0")
    status(signed, sid[OWNER_CELL], OWNER_CELL, "ringing")
    work()
    work()
    assert updates_to(prism, sid[OWNER_CELL]) == []  # already over: nothing to end
    assert updates_to(prism, sid[OWNER_HOME]) == [{"Status": "completed"}]  # it had answered: hung up
    assert db.session.scalar(select(Ring.state)) == RingState.ACCEPTED


def test_ring_timeout_redirects_the_caller_by_a_job_and_stops_the_phones(caller_waiting, signed, prism):
    work()
    sid = legs(prism)
    status(signed, sid[OWNER_CELL], OWNER_CELL, "ringing")
    assert updates_to(prism, CALL_SID) == []
    with time_machine.travel(utcnow() + timedelta(seconds=60), tick=True):
        work()
        work()
    [redirect] = updates_to(prism, CALL_SID)
    assert urlsplit(redirect["Url"]).path == "/voice/ring/over" and redirect["Method"] == "POST"
    assert parse_qs(urlsplit(redirect["Url"]).query) == {"ring": [str(ring_id())]}
    assert all(updates_to(prism, sid[n]) == [{"Status": "canceled"}] for n in TARGETS)
    assert all(e.accepted_by_prism for e in prism.call_updates())
    # The redirected caller reaches voicemail; a callee pressing 1 now is too late.
    over = twiml(signed.post(f"/voice/ring/over?ring={ring_id()}", call_params(CALL_SID, CallStatus="in-progress")))
    assert over.find("Record") is not None
    assert press(signed, sid[OWNER_DESK], OWNER_DESK, "1").find("Dial") is None


def test_a_failing_leg_never_ends_the_others(public_app, signed, prism):
    make_mailbox(forward_to=TARGETS)
    prism.unreachable.add(OWNER_CELL)
    prism.calls[CALL_SID] = {"to": TWILIO_NUMBER, "status": "in-progress", "url": None}
    signed.post("/voice/incoming", call_params(CALL_SID))
    work()
    sid = legs(prism)
    assert set(sid) == {OWNER_DESK, OWNER_HOME}
    status(signed, sid[OWNER_DESK], OWNER_DESK, "busy")  # the desk is busy: still the home phone rings
    work()
    assert prism.call_updates() == []
    assert db.session.scalar(select(Ring.state)) == RingState.RINGING


def test_when_every_leg_is_over_the_caller_moves_on_at_once(public_app, signed, prism):
    make_mailbox(forward_to=[OWNER_CELL, OWNER_DESK, OWNER_HOME], ring_mode="simultaneous")
    prism.unreachable.update({OWNER_CELL, OWNER_DESK})
    prism.calls[CALL_SID] = {"to": TWILIO_NUMBER, "status": "in-progress", "url": None}
    signed.post("/voice/incoming", call_params(CALL_SID))
    work()
    [home] = legs(prism).values()
    status(signed, home, OWNER_HOME, "no-answer")
    work()
    [redirect] = updates_to(prism, CALL_SID)  # no waiting for the ring timeout
    assert "/voice/ring/over" in redirect["Url"]


def test_caller_hanging_up_while_the_phones_ring_stops_them(caller_waiting, signed, prism):
    work()
    sid = legs(prism)
    left = signed.post(
        f"/voice/ring/left?ring={ring_id()}", call_params(CALL_SID, CallStatus="completed", QueueResult="hangup")
    )
    assert left.status_code == 200
    work()
    assert all(updates_to(prism, sid[n]) == [{"Status": "canceled"}] for n in TARGETS)
    assert updates_to(prism, CALL_SID) == []


def test_an_error_leaving_the_queue_still_reaches_voicemail(caller_waiting, signed):
    params = call_params(CALL_SID, CallStatus="in-progress", QueueResult="error")
    assert twiml(signed.post(f"/voice/ring/left?ring={ring_id()}", params)).find("Record") is not None


def test_timeout_of_a_simultaneous_group_rings_the_next_sequential_target(public_app, signed, prism):
    make_mailbox(forward_to=[OWNER_CELL, OWNER_DESK], ring_mode="simultaneous")
    # A third, sequential target after the simultaneous pair (the API sets one mode; the model allows both).
    from voicebox.models import ForwardTarget, Mailbox, RingMode

    mailbox = db.session.scalar(select(Mailbox))
    mailbox.targets.append(ForwardTarget(number=OWNER_HOME, position=2, ring_mode=RingMode.SEQUENTIAL))
    db.session.commit()
    prism.calls[CALL_SID] = {"to": TWILIO_NUMBER, "status": "in-progress", "url": None}
    signed.post("/voice/incoming", call_params(CALL_SID))
    over = twiml(signed.post(f"/voice/ring/over?ring={ring_id()}", call_params(CALL_SID, CallStatus="in-progress")))
    numbers = over.findall("Dial/Number")
    assert [n.text for n in numbers] == [OWNER_HOME] and numbers[0].get("url") == f"{PUBLIC}/voice/screen"


@pytest.mark.parametrize(("targets", "mode"), [([OWNER_CELL], "simultaneous"), (TARGETS, "sequential")])
def test_single_targets_and_sequential_groups_keep_dial_number(public_app, signed, prism, targets, mode):
    make_mailbox(forward_to=targets, ring_mode=mode)
    root = twiml(signed.post("/voice/incoming", call_params(CALL_SID)))
    assert [n.get("url") for n in root.findall("Dial/Number")] == [f"{PUBLIC}/voice/screen"]
    work()
    assert prism.call_creates() == []


def test_the_screen_prompt_names_the_caller(caller_waiting, signed, prism):
    work()
    sid = legs(prism)
    say = screen(signed, sid[OWNER_CELL], OWNER_CELL).find("Gather/Say")
    assert " ".join(CALLER[1:]) in say.text


def test_with_redis_down_the_phones_ring_by_dial_rather_than_leave_the_caller_waiting(make_app, prism):
    from tests.support import Twilio

    dead = make_app(TWILIO_HTTP_CLIENT=prism, PUBLIC_BASE_URL=PUBLIC, REDIS_URL="redis://127.0.0.1:1/0")
    with dead.app_context():
        make_mailbox(forward_to=TARGETS)
        signed = Twilio(dead.test_client(), public_base=PUBLIC)
        for _ in range(2):  # and the same when Twilio retries the webhook
            root = twiml(signed.post("/voice/incoming", call_params(CALL_SID)))
            assert [n.text for n in root.findall("Dial/Number")] == TARGETS
            assert root.find("Enqueue") is None


def test_the_sweep_ends_a_ring_whose_timeout_job_redis_lost(caller_waiting, signed, prism):
    from voicebox.jobs.ring import job_id, sweep_rings
    from voicebox.queueing import get_queue

    work()
    get_queue().scheduled_job_registry.remove(job_id(ring_id(), "timeout"), delete_job=True)  # Redis lost it
    with time_machine.travel(utcnow() + timedelta(seconds=40), tick=True):
        assert sweep_rings() == 0  # not overdue yet: the ring may still be answered
    with time_machine.travel(utcnow() + timedelta(seconds=120), tick=True):
        assert sweep_rings() == 1
        work()
    assert "/voice/ring/over" in updates_to(prism, CALL_SID)[0]["Url"]


def test_a_leg_twilio_could_not_take_is_retried_without_placing_the_others_twice(caller_waiting, prism):
    prism.fail_next(1)  # a 503 for the first calls.create
    work()
    assert len(legs(prism)) == 2
    with time_machine.travel(utcnow() + timedelta(seconds=3), tick=True):
        work()
    assert sorted(legs(prism)) == sorted(TARGETS)
    assert len([e for e in prism.call_creates() if e.status == 201]) == 3
