"""/voice/ring/*: the webhooks of screened simultaneous ringing (see voicebox/services/ring.py).

Legs are calls voicebox created through the REST API, so their webhooks carry the leg's own
CallSid (no ParentCallSid) and `?ring=<id>` in the URL we gave Twilio.
"""

from __future__ import annotations

from flask import current_app, request
from twilio.twiml.voice_response import VoiceResponse

from . import twiml
from .jobs import ring as ring_jobs
from .models import Ring, RingState
from .phrases import phrase, spoken_digits
from .services import calls, ring
from .urls import callback_url
from .voice import after_decision, required, voice_route
from .webhooks import BadWebhook


def _ring() -> Ring:
    raw = request.args.get("ring", "")
    group = ring.get(int(raw)) if raw.isascii() and raw.isdigit() and len(raw) < 10 else None
    if group is None:
        raise BadWebhook(f"unknown ring {raw[:20]!r}")
    return group


def _mailbox_of(group: Ring):
    call = ring.call_of(group)
    return (call.from_number if call else None), (call.mailbox if call else None)


@voice_route("/ring/screen", fallback="hangup")
def ring_screen() -> VoiceResponse:
    """A leg was answered (by its callee or their voicemail): ask for 1, unless it is too late."""
    group = _ring()
    ring.leg_answered(group, required("CallSid"), request.form.get("To"))
    caller, mailbox = _mailbox_of(group)
    voice = calls.voice_for(mailbox)
    if group.state != RingState.RINGING:
        return twiml.said_then_hangup(voice, "taken")
    return twiml.screen_prompt(
        voice,
        mailbox=mailbox.name if mailbox else "",
        caller=spoken_digits(caller or "") or phrase(voice.language, "unknown_caller"),
        action=callback_url("/voice/ring/answer", ring=group.id),
        timeout=current_app.config["SCREEN_TIMEOUT_SECONDS"],
    )


@voice_route("/ring/answer", fallback="hangup")
def ring_answer() -> VoiceResponse:
    """The callee's key: 1 takes the caller if nobody did first; anything else leaves the others ringing."""
    group, leg_sid = _ring(), required("CallSid")
    if request.form.get("Digits", "").strip() != "1":
        ring.decline(group, leg_sid)
        if ring.nobody_left(ring.reload(group)):
            ring_jobs.finish(group.id)
        return twiml.hangup()
    answer = ring.accept(group, leg_sid)
    if not answer.bridged:
        return twiml.said_then_hangup(calls.voice_for(_mailbox_of(group)[1]), "taken")
    ring_jobs.end_others(group.id)
    return twiml.dial_queue(answer.queue_name)


@voice_route("/ring/status", fallback="error")
def ring_status() -> VoiceResponse:
    """A leg's status callback: note it; when every leg is over, move the caller on at once."""
    group = _ring()
    ring.leg_status(group, required("CallSid"), request.form.get("To"), required("CallStatus"))
    if ring.nobody_left(ring.reload(group)):
        ring_jobs.finish(group.id)
    return twiml.empty()


@voice_route("/ring/over")
def ring_over() -> VoiceResponse:
    """The caller, redirected out of the queue when nobody accepted: the next group or voicemail."""
    # Only the job that ended the ring (OVER: nobody can accept any more) redirects the caller here.
    group = _ring()
    _, mailbox = _mailbox_of(group)
    decision = calls.after_dial(group.call_sid, "no-answer", group.attempt, mailbox)
    return after_decision(mailbox, decision)


@voice_route("/ring/left")
def ring_left() -> VoiceResponse:
    """<Enqueue action>: the caller left the queue. Bridged and over: hang up. Hung up: stop the
    phones. Anything else (an error, a full queue) must not leave them in silence: move them on."""
    group = _ring()
    result = request.form.get("QueueResult", "").strip()
    if group.state == RingState.ACCEPTED or result in ("bridged", "redirected", "redirected-from-bridged"):
        return twiml.hangup()
    if result == "hangup":
        if ring.end(group, RingState.CALLER_GONE):
            ring_jobs.end_others(group.id)
        return twiml.empty()
    ring.end(group, RingState.OVER)
    ring_jobs.end_others(group.id)
    _, mailbox = _mailbox_of(group)
    return after_decision(mailbox, calls.after_dial(group.call_sid, "no-answer", group.attempt, mailbox))
