"""Screened simultaneous ringing: decisions about a ring group and its legs.

Twilio's <Dial> with several <Number url=…> bridges the first leg that *picks up*, and the screening
TwiML only runs after that. A phone that is off sends its leg to the carrier's voicemail within
seconds, which "picks up" first and stops the real people's phones. So a screened group of several
phones rings differently: the caller waits in an <Enqueue> (hold music), voicebox places one
outbound leg per phone through the REST API, and the first callee who presses 1 dials that queue.
A job ends the ring at its timeout, redirecting the caller onwards (the next group or voicemail).

Every callback may come twice or out of order: states only move forward, through conditional
UPDATEs, so the database decides who won.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import select, update

from ..extensions import db
from ..models import FINAL_LEG_STATUSES, Call, LegStatus, Mailbox, Ring, RingLeg, RingState, utcnow
from ..rows import insert_ignore, rowcount

# Progress of a leg: a status callback never moves a leg backwards (they arrive out of order).
_RANK: dict[str, int] = {
    LegStatus.PENDING: 0,
    LegStatus.QUEUED: 1,
    LegStatus.INITIATED: 2,
    LegStatus.RINGING: 3,
    LegStatus.IN_PROGRESS: 4,
}
_TWILIO_STATUSES = {s.value for s in LegStatus} - {LegStatus.PENDING, LegStatus.DECLINED}


@dataclass(frozen=True)
class Answer:
    """What a leg's callee gets after pressing a key."""

    bridged: bool  # this leg won: connect it to the caller's queue
    queue_name: str = ""


def rings_by_rest(mailbox: Mailbox, numbers: tuple[str, ...]) -> bool:
    """Screened groups of several phones ring through the REST API; everything else keeps <Dial>."""
    return mailbox.screen_calls and len(numbers) > 1


def start(
    call_sid: str, our_number: str, attempt: int, numbers: tuple[str, ...], timeout: int, callback_base: str
) -> tuple[Ring, bool]:
    """The ring group for (call, attempt), created once; True when this request created it.

    `our_number` (the Twilio number the caller dialled) is the legs' caller ID: the REST API only
    accepts our own numbers there, and the screening prompt reads out who is calling.
    """
    key = f"{call_sid}:{attempt}"
    new = insert_ignore(
        Ring,
        {
            "ring_key": key,
            "call_sid": call_sid,
            "attempt": attempt,
            "from_number": our_number,
            "callback_base": callback_base.rstrip("/"),
            "timeout_seconds": timeout,
            "state": RingState.RINGING,
        },
        key="ring_key",
    )
    ring = db.session.scalars(select(Ring).where(Ring.ring_key == key)).one()
    if new:
        ring.legs = [RingLeg(number=number, status=LegStatus.PENDING) for number in numbers]
    db.session.commit()
    return ring, new


def get(ring_id: int) -> Ring | None:
    """A ring group, freshly read."""
    return db.session.get(Ring, ring_id, populate_existing=True)


def reload(ring: Ring) -> Ring:
    """The same ring group read again: other requests and jobs move it meanwhile."""
    return db.session.get_one(Ring, ring.id, populate_existing=True)


def call_of(ring: Ring) -> Call | None:
    """The caller's call."""
    return db.session.scalar(select(Call).where(Call.call_sid == ring.call_sid))


def legs_to_place(ring: Ring) -> list[RingLeg]:
    """Legs not created yet, while the ring still rings."""
    if ring.state != RingState.RINGING:
        return []
    return [leg for leg in ring.legs if leg.status == LegStatus.PENDING and leg.leg_sid is None]


def leg_placed(leg: RingLeg, leg_sid: str) -> None:
    """Twilio created the leg."""
    leg.leg_sid = leg_sid
    if _RANK.get(leg.status, 99) < _RANK[LegStatus.QUEUED]:
        leg.status = LegStatus.QUEUED
    db.session.commit()


def leg_failed(leg: RingLeg, error: str) -> None:
    """Twilio refused to create the leg; the other legs ring on."""
    leg.status, leg.error = LegStatus.FAILED, error[:300]
    db.session.commit()


def find_leg(ring: Ring, leg_sid: str, number: str | None = None) -> RingLeg | None:
    """A leg by its CallSid, or (when the create answer was lost) the unplaced leg to `number`."""
    for leg in ring.legs:
        if leg.leg_sid == leg_sid:
            return leg
    for leg in ring.legs:
        if leg.leg_sid is None and number and leg.number == number:
            leg.leg_sid = leg_sid
            return leg
    return None


def leg_status(ring: Ring, leg_sid: str, number: str | None, status: str) -> None:
    """Apply a status callback. Callbacks come late, twice, or at once on several workers, so the
    move is a conditional UPDATE: never backwards, never out of a final status."""
    leg = find_leg(ring, leg_sid, number)
    if leg is None or status not in _TWILIO_STATUSES:
        db.session.commit()
        return
    _advance(leg.id, LegStatus(status))
    if status == LegStatus.IN_PROGRESS:
        db.session.execute(update(RingLeg).where(RingLeg.id == leg.id).values(answered=True))
    db.session.commit()


def _advance(leg_id: int, status: LegStatus) -> None:
    """Move a leg to `status` only from a status before it."""
    final = status in FINAL_LEG_STATUSES
    before = [s for s, rank in _RANK.items() if final or rank < _RANK[status]]
    db.session.execute(update(RingLeg).where(RingLeg.id == leg_id, RingLeg.status.in_(before)).values(status=status))


def leg_answered(ring: Ring, leg_sid: str, number: str | None) -> None:
    """The leg's callee (or their voicemail) picked up: the screening prompt starts."""
    leg_status(ring, leg_sid, number, LegStatus.IN_PROGRESS)


def accept(ring: Ring, leg_sid: str) -> Answer:
    """The callee pressed 1. The first one wins the caller (a conditional UPDATE); later ones do not."""
    won = rowcount(
        update(Ring)
        .where(Ring.id == ring.id, Ring.state == RingState.RINGING)
        .values(state=RingState.ACCEPTED, accepted_leg_sid=leg_sid)
    )
    if not won:
        db.session.commit()
        ring = reload(ring)
        # A retried request of the winner wins again.
        return Answer(bridged=ring.accepted_leg_sid == leg_sid, queue_name=ring.queue_name)
    leg = find_leg(ring, leg_sid)
    db.session.execute(
        update(Call)
        .where(Call.call_sid == ring.call_sid)
        .values(screen_accepted=True, accepted_by=leg.number if leg else None)
    )
    db.session.commit()
    return Answer(bridged=True, queue_name=ring.queue_name)


def decline(ring: Ring, leg_sid: str) -> None:
    """The callee pressed another key, or nothing (a machine): this leg is out, the others ring on."""
    leg = find_leg(ring, leg_sid)
    if leg is not None:
        _advance(leg.id, LegStatus.DECLINED)
    db.session.commit()


def nobody_left(ring: Ring) -> bool:
    """Every leg is over (failed, declined, no answer...) while the ring still rings."""
    return ring.state == RingState.RINGING and all(leg.status in FINAL_LEG_STATUSES for leg in ring.legs)


def never_rang(ring: Ring) -> bool:
    """No leg was ever placed (the ring fell back to <Dial> before any job ran)."""
    return all(leg.status == LegStatus.PENDING for leg in ring.legs)


def end(ring: Ring, state: RingState) -> bool:
    """Move a ringing group to `state` (OVER or CALLER_GONE); True for the one caller that moved it."""
    moved = rowcount(update(Ring).where(Ring.id == ring.id, Ring.state == RingState.RINGING).values(state=state))
    db.session.commit()
    return bool(moved)


def legs_to_end(ring: Ring) -> list[RingLeg]:
    """Legs still alive that must stop: every one but the accepted leg."""
    return [
        leg
        for leg in reload(ring).legs
        if leg.leg_sid and leg.leg_sid != ring.accepted_leg_sid and leg.status not in FINAL_LEG_STATUSES
    ]


def overdue(grace) -> list[Ring]:
    """Rings still ringing longer ago than `grace(ring)` allows (for the sweep)."""
    now = utcnow()
    ringing = db.session.scalars(select(Ring).where(Ring.state == RingState.RINGING))
    return [ring for ring in ringing if ring.created_at + grace(ring) < now]
