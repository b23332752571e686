"""/voice/*: Twilio's voice webhooks. Each view parses, calls a service, and answers TwiML."""

from __future__ import annotations

import functools
import logging
from collections.abc import Callable

import phonenumbers
from flask import Blueprint, Response, current_app, request
from twilio.twiml.voice_response import VoiceResponse

from . import twiml
from .extensions import db
from .ints import parse_int
from .jobs import voicemail as voicemail_jobs
from .phrases import phrase, spoken_digits
from .services import calls, voicemails
from .webhooks import BadWebhook, public_url, twilio_signed

log = logging.getLogger(__name__)
bp = Blueprint("voice", __name__, url_prefix="/voice")


def xml(response: VoiceResponse, status: int = 200) -> Response:
    return Response(response.to_xml(), status=status, mimetype="text/xml")


def voice_route(rule: str, fallback: str = "voicemail"):
    """Register a signed voice webhook that always answers TwiML, never an HTML error page.

    `fallback` is what an unexpected exception answers: "voicemail" (apology, then <Record>) keeps
    the caller's message; "hangup" suits a forwarded leg, whose hang-up sends the caller to voicemail;
    "error" (an empty <Response/> with status 500) suits callbacks no caller hears, so the failure
    shows in Twilio's debugger instead of passing for success.
    """

    def decorate(view: Callable[[], VoiceResponse]):
        @functools.wraps(view)
        def wrapper():
            try:
                return xml(view())
            except BadWebhook as exc:
                log.warning("bad %s webhook: %s", request.path, exc)
                return xml(twiml.said_then_hangup(calls.voice_for(None), "bad_request"), 400)
            except Exception:
                log.exception("voice webhook %s failed; answering with fallback TwiML", request.path)
                db.session.rollback()
                return xml(_fallback(fallback), 500 if fallback == "error" else 200)

        return bp.post(rule, endpoint=view.__name__)(twilio_signed(wrapper))

    return decorate


def _fallback(kind: str) -> VoiceResponse:
    voice = calls.voice_for(None)
    if kind == "voicemail":
        return twiml.voicemail(voice, _voicemail_urls(), max_length=_max_length(), apology=True)
    if kind == "error":
        return twiml.empty()
    return twiml.hangup()


def _max_length() -> int:
    return current_app.config["VOICEMAIL_MAX_SECONDS"]


def _voicemail_urls() -> twiml.VoicemailUrls:
    return twiml.VoicemailUrls(
        action=public_url("/voice/recording"),
        transcribe_callback=public_url("/voice/transcription"),
        status_callback=public_url("/voice/recording-status"),
    )


def required(name: str, max_length: int = 64) -> str:
    """A form parameter that must be present and non-empty; SIDs and statuses are short."""
    value = request.form.get(name, "").strip()
    if not value:
        raise BadWebhook(f"missing parameter {name}")
    if len(value) > max_length:
        raise BadWebhook(f"{name} is longer than {max_length} characters")
    return value


def e164(name: str) -> str:
    """A required parameter that must be a valid E.164 phone number."""
    value = required(name)
    try:
        parsed = phonenumbers.parse(value, None)
    except phonenumbers.NumberParseException as exc:
        raise BadWebhook(f"{name} is not an E.164 number: {value!r}") from exc
    if not value.startswith("+") or not phonenumbers.is_possible_number(parsed):
        raise BadWebhook(f"{name} is not an E.164 number: {value!r}")
    return phonenumbers.format_number(parsed, phonenumbers.PhoneNumberFormat.E164)


def optional_int(name: str, maximum: int = 86_400) -> int | None:
    """An optional whole number from 0 to `maximum` (a day of seconds fits any recording)."""
    value = request.form.get(name, "").strip()
    if not value:
        return None
    try:
        return parse_int(value, 0, maximum)
    except ValueError:
        raise BadWebhook(f"{name} is not a whole number from 0 to {maximum}: {value[:20]!r}") from None


def _forward(mailbox, attempt: int, numbers: tuple[str, ...], greeting: str | None = None) -> VoiceResponse:
    return twiml.forward(
        calls.voice_for(mailbox),
        numbers,
        ring_timeout=mailbox.ring_timeout,
        action=public_url("/voice/dial-complete", attempt=attempt),
        screen_url=public_url("/voice/screen") if mailbox.screen_calls else None,
        greeting=greeting,
    )


@voice_route("/incoming")
def incoming() -> VoiceResponse:
    call_sid, to = required("CallSid"), e164("To")
    mailbox = calls.find_mailbox(to)
    calls.record_call(call_sid, request.form.get("From", ""), to, mailbox)
    if mailbox is None or not mailbox.enabled:
        return twiml.unavailable(calls.voice_for(mailbox))
    groups = calls.dial_groups(mailbox)
    if not groups:  # nobody to ring: straight to voicemail
        return twiml.voicemail(calls.voice_for(mailbox), _voicemail_urls(), max_length=_max_length())
    return _forward(mailbox, 0, groups[0], greeting=mailbox.greeting)


@voice_route("/screen", fallback="hangup")
def screen() -> VoiceResponse:
    required("CallSid")
    caller, mailbox = calls.caller_and_mailbox(request.form.get("ParentCallSid"))
    voice = calls.voice_for(mailbox)
    spoken = spoken_digits(caller or "") or phrase(voice.language, "unknown_caller")
    return twiml.screen_prompt(
        voice,
        mailbox=mailbox.name if mailbox else "",
        caller=spoken,
        action=public_url("/voice/screen-result"),
        timeout=current_app.config["SCREEN_TIMEOUT_SECONDS"],
    )


@voice_route("/screen-result", fallback="hangup")
def screen_result() -> VoiceResponse:
    required("CallSid")
    if request.form.get("Digits", "").strip() != "1":
        if request.form.get("ParentCallSid"):
            calls.decline_screened_call(request.form["ParentCallSid"])
        return twiml.hangup()
    calls.accept_screened_call(required("ParentCallSid"), request.form.get("To", ""))
    return twiml.empty()


@voice_route("/dial-complete")
def dial_complete() -> VoiceResponse:
    # Every parameter is checked before anything is written: a 400 must leave no half-recorded call.
    call_sid, to, dial_status = required("CallSid"), e164("To"), required("DialCallStatus")
    try:
        attempt = parse_int(request.args.get("attempt", "0"), 0, 100)
    except ValueError:
        raise BadWebhook(f"attempt is not a whole number: {request.args['attempt'][:20]!r}") from None
    mailbox = calls.find_mailbox(to)
    calls.record_call(call_sid, request.form.get("From", ""), to, mailbox)
    decision = calls.after_dial(call_sid, dial_status, attempt, mailbox)
    if decision.action == "hangup":
        return twiml.hangup()
    if decision.action == "dial":
        return _forward(mailbox, decision.attempt, decision.numbers)
    return twiml.voicemail(calls.voice_for(mailbox), _voicemail_urls(), max_length=_max_length())


@voice_route("/recording", fallback="hangup")
def recording() -> VoiceResponse:
    voicemails.record_recording(_recording_event(with_status=False))
    to = request.form.get("To", "")
    return twiml.said_then_hangup(calls.voice_for(calls.find_mailbox(to) if to else None), "thanks")


@voice_route("/recording-status", fallback="error")
def recording_status() -> VoiceResponse:
    event = _recording_event(with_status=True)
    voicemails.record_recording(event)
    # Queued on every callback that leaves the email pending, not only the first: a duplicate
    # collapses into the same job id, and a retry after a Redis outage gets queued at once.
    voicemail_jobs.queue_notification(event.recording_sid, "recording")
    return twiml.empty()


@voice_route("/transcription", fallback="error")
def transcription() -> VoiceResponse:
    voicemails.record_transcription(
        required("RecordingSid"),
        request.form.get("CallSid"),
        request.form.get("TranscriptionText"),
        required("TranscriptionStatus"),
        request.form.get("TranscriptionSid"),
    )
    voicemail_jobs.queue_notification(request.form["RecordingSid"], "transcript")
    return twiml.empty()


def _recording_event(with_status: bool) -> voicemails.RecordingEvent:
    return voicemails.RecordingEvent(
        recording_sid=required("RecordingSid"),
        call_sid=request.form.get("CallSid"),
        url=request.form.get("RecordingUrl") or None,
        duration=optional_int("RecordingDuration"),
        status=required("RecordingStatus") if with_status else None,
        error_code=request.form.get("ErrorCode") or None,
    )
