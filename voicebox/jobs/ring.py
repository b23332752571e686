"""Jobs of screened simultaneous ringing: place the legs, end the losers, end the ring at its timeout.

Every REST call goes through the app's Twilio client. Each job takes a ring id, reloads it, and is
safe to run twice: the ring's state in the database decides what is still to do.
"""

from __future__ import annotations

import logging
from datetime import timedelta

from flask import current_app
from rq import Retry
from twilio.base.exceptions import TwilioRestException

from .. import queueing
from ..models import LegStatus, Ring, RingState, utcnow
from ..queueing import enqueue, job_is_live
from ..services import ring as rings
from ..twilio_client import get_client

log = logging.getLogger(__name__)

# Seconds past the ring timeout before the timeout job ends the ring: a leg answered in the last
# second still hears the prompt (about 5 s) and gets SCREEN_TIMEOUT_SECONDS to press 1.
PROMPT_SECONDS = 5
# The caller is waiting: a leg Twilio could not take (5xx) is retried within seconds, not minutes.
PLACE_RETRY = Retry(max=3, interval=[1, 2, 4])


def job_id(ring_id: int, kind: str) -> str:
    return queueing.job_id("ring", ring_id, kind)


def start_ringing(ring: Ring) -> bool:
    """Queue the legs now and the timeout job for later (both idempotent by job id).

    False when Redis is unreachable: nothing would ring the phones, so the caller must not wait.
    """
    if enqueue(place_legs, ring.id, job_id=job_id(ring.id, "place"), retry=PLACE_RETRY) is None:
        return False
    at = utcnow() + timedelta(seconds=deadline(ring))
    enqueue(ring_timed_out, ring.id, job_id=job_id(ring.id, "timeout"), at=at)  # if lost, the sweep ends it
    return True


def deadline(ring: Ring) -> int:
    """Seconds from the start of the ring until nobody can accept any more."""
    return ring.timeout_seconds + PROMPT_SECONDS + current_app.config["SCREEN_TIMEOUT_SECONDS"]


def place_legs(ring_id: int) -> str:
    """Create one outbound call per target; a leg Twilio refuses fails alone, the others ring on."""
    ring = rings.get(ring_id)
    if ring is None:
        return "ring is gone"
    retry_later = False
    for leg in rings.legs_to_place(ring):
        try:
            created = get_client().calls.create(
                to=leg.number,
                from_=ring.from_number,
                url=f"{ring.callback_base}/voice/ring/screen?ring={ring.id}",
                method="POST",
                timeout=ring.timeout_seconds,
                status_callback=f"{ring.callback_base}/voice/ring/status?ring={ring.id}",
                status_callback_method="POST",
                status_callback_event=["initiated", "ringing", "answered", "completed"],
            )
        except TwilioRestException as exc:
            if exc.status >= 500 or exc.status == 429:
                retry_later = True  # Twilio having a bad moment: this leg stays pending for the retry
                continue
            rings.leg_failed(leg, f"{exc.code}: {exc.msg}")
            continue
        rings.leg_placed(leg, created.sid)
    ring = rings.reload(ring)
    if rings.nobody_left(ring):
        finish(ring_id)
    if retry_later:
        raise RuntimeError("Twilio did not take every leg; RQ retries the rest")
    return "placed"


def finish(ring_id: int) -> None:
    """Nobody can accept any more (every leg failed or declined): move the caller on now."""
    enqueue(ring_timed_out, ring_id, job_id=job_id(ring_id, "over"))


def ring_timed_out(ring_id: int) -> str:
    """Nobody accepted: stop accepting, redirect the caller's call onwards, stop the phones."""
    ring = rings.get(ring_id)
    # Only the job that moves the ring to OVER redirects the caller: a second redirect would
    # interrupt whatever the caller reached (the next group, or the voicemail prompt).
    if ring is None or not rings.end(ring, RingState.OVER):
        return "already settled"
    enqueue(redirect_caller, ring_id, job_id=job_id(ring_id, "redirect"))
    end_others(ring_id)
    return "over"


def redirect_caller(ring_id: int) -> str:
    """Send the waiting caller to /voice/ring/over (retried by RQ while Twilio answers 5xx)."""
    ring = rings.get(ring_id)
    if ring is None:
        return "ring is gone"
    try:
        get_client().calls(ring.call_sid).update(
            url=f"{ring.callback_base}/voice/ring/over?ring={ring.id}", method="POST"
        )
    except TwilioRestException as exc:
        if exc.status >= 500 or exc.status == 429:
            raise
        log.info("caller of ring %s is gone (%s): nothing to redirect", ring_id, exc.code)
        return "caller gone"
    return "redirected"


def end_legs(ring_id: int) -> str:
    """End every leg but the accepted one: cancel a ringing leg, hang up an answered one."""
    ring = rings.get(ring_id)
    if ring is None:
        return "ring is gone"
    for leg in rings.legs_to_end(ring):
        status = LegStatus.COMPLETED if leg.answered else LegStatus.CANCELED
        try:
            get_client().calls(leg.leg_sid).update(status=status.value)
        except TwilioRestException as exc:
            if exc.status >= 500:
                raise
            log.info("leg %s of ring %s already ended (%s)", leg.leg_sid, ring_id, exc.code)
    return "ended"


def end_others(ring_id: int) -> None:
    """Queue ending the legs that lost (or all of them, when the caller left)."""
    enqueue(end_legs, ring_id, job_id=job_id(ring_id, "end"))


def sweep_rings() -> int:
    """Sweeper: a ring still ringing well past its deadline whose timeout job Redis lost."""
    count = 0
    for ring in rings.overdue(lambda r: timedelta(seconds=deadline(r) + 30)):
        if not job_is_live(job_id(ring.id, "timeout")) and not job_is_live(job_id(ring.id, "over")):
            finish(ring.id)
            count += 1
    return count
