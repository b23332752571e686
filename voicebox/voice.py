"""/voice/*: Twilio's voice webhooks. Each view parses, calls a service, and answers TwiML."""

from __future__ import annotations

import logging

from flask import Blueprint, current_app, request
from twilio.twiml.voice_response import VoiceResponse

from . import twiml
from .jobs import voicemail as voicemail_jobs
from .phrases import phrase, spoken_digits
from .services import calls, voicemails
from .urls import callback_url
from .webhooks import BadWebhook, e164, optional_int, required, webhook_route

log = logging.getLogger(__name__)
bp = Blueprint("voice", __name__, url_prefix="/voice")


def voice_route(rule: str, fallback: str = "voicemail"):
    """Register a signed voice webhook (see webhooks.webhook_route); a bad request hears an apology.

    `fallback` is what an unexpected exception answers: "voicemail" (apology, then <Record>) keeps
    the caller's message; "hangup" suits a forwarded leg, whose hang-up sends the caller to voicemail;
    "error" (an empty <Response/> with status 500) suits callbacks no caller hears, so the failure
    shows in Twilio's debugger instead of passing for success.
    """
    return webhook_route(
        bp,
        rule,
        bad_request=lambda: twiml.said_then_hangup(calls.voice_for(None), "bad_request"),
        on_error=lambda: _failed(fallback),
    )


def _failed(fallback: str) -> tuple[VoiceResponse, int]:
    log.exception("voice webhook %s failed; answering with fallback TwiML", request.path)
    return _fallback(fallback), 500 if fallback == "error" else 200


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
    """The <Record> callbacks, carrying the call's To and From: recording status callbacks have
    neither, and if the database missed the call (an outage during /incoming) they are how the
    voicemail still finds its mailbox. Twilio signs the URL with its query, so they cannot be forged."""
    call = {k: v for k, v in {"to": request.form.get("To"), "caller": request.form.get("From")}.items() if v}
    return twiml.VoicemailUrls(
        action=callback_url("/voice/recording", **call),
        transcribe_callback=callback_url("/voice/transcription", retry=True, **call),
        status_callback=callback_url("/voice/recording-status", retry=True, **call),
    )


def _forward(mailbox, attempt: int, numbers: tuple[str, ...], greeting: str | None = None) -> VoiceResponse:
    return twiml.forward(
        calls.voice_for(mailbox),
        numbers,
        ring_timeout=mailbox.ring_timeout,
        action=callback_url("/voice/dial-complete", attempt=attempt),
        screen_url=callback_url("/voice/screen") if mailbox.screen_calls else None,
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
        action=callback_url("/voice/screen-result"),
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
    call_sid, to = required("CallSid"), e164("To")
    attempt = request.args.get("attempt", "0")
    if not attempt.isdigit():
        raise BadWebhook(f"attempt is not a whole number: {attempt!r}")
    mailbox = calls.find_mailbox(to)
    calls.record_call(call_sid, request.form.get("From", ""), to, mailbox)
    decision = calls.after_dial(call_sid, required("DialCallStatus"), int(attempt), mailbox)
    if decision.action == calls.DialAction.HANGUP:
        return twiml.hangup()
    if decision.action == calls.DialAction.DIAL:
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
    pending_id = voicemails.record_recording(event)
    # Queued on every callback that leaves the email pending, not only the first: a duplicate
    # collapses into the same job id, and a retry after a Redis outage gets queued at once.
    voicemail_jobs.queue_notification(pending_id, "recording")
    return twiml.empty()


@voice_route("/transcription", fallback="error")
def transcription() -> VoiceResponse:
    pending_id = voicemails.record_transcription(
        required("RecordingSid"),
        request.form.get("CallSid"),
        request.form.get("TranscriptionText"),
        required("TranscriptionStatus"),
        request.form.get("TranscriptionSid"),
        _call_numbers(),
    )
    voicemail_jobs.queue_notification(pending_id, "transcript")
    return twiml.empty()


def _call_numbers() -> voicemails.CallNumbers:
    """To and From from the callback URL we gave (see _voicemail_urls), else from the form."""
    return voicemails.CallNumbers(
        to_number=request.args.get("to") or request.form.get("To") or None,
        from_number=request.args.get("caller") or request.form.get("From") or None,
    )


def _recording_event(with_status: bool) -> voicemails.RecordingEvent:
    return voicemails.RecordingEvent(
        recording_sid=required("RecordingSid"),
        call_sid=request.form.get("CallSid"),
        numbers=_call_numbers(),
        url=request.form.get("RecordingUrl") or None,
        duration=optional_int("RecordingDuration"),
        status=required("RecordingStatus") if with_status else None,
        error_code=request.form.get("ErrorCode") or None,
    )
