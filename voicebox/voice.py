"""/voice/*: Twilio's voice webhooks. Each view parses, calls a service, and answers TwiML."""

from __future__ import annotations

import json
import logging

from flask import Blueprint, current_app, request
from twilio.twiml.voice_response import VoiceResponse

from . import twiml
from .ints import parse_int
from .jobs import ring as ring_jobs
from .jobs import transcription as transcription_jobs
from .jobs import voicemail as voicemail_jobs
from .models import RingState
from .phrases import phrase, spoken_digits
from .services import calls, realtime, ring, transcripts, voicemails
from .transcription import record_max_length, twilio_transcribes
from .urls import callback_url
from .webhooks import BadWebhook, e164, optional_bool, optional_int, required, webhook_route

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
    if kind == "voicemail":
        return _voicemail(None, apology=True)
    if kind == "error":
        return twiml.empty()
    return twiml.hangup()


def _voicemail_urls() -> twiml.VoicemailUrls:
    """The <Record> callbacks, carrying the call's To and From: recording status callbacks have
    neither, and if the database missed the call (an outage during /incoming) they are how the
    voicemail still finds its mailbox. Twilio signs the URL with its query, so they cannot be forged."""
    call: dict[str, object] = {
        k: v for k, v in {"to": request.form.get("To"), "caller": request.form.get("From")}.items() if v
    }
    return twiml.VoicemailUrls(
        action=callback_url("/voice/recording", retry=False, **call),
        transcribe_callback=callback_url("/voice/transcription", retry=True, **call),
        status_callback=callback_url("/voice/recording-status", retry=True, **call),
    )


def _voicemail(mailbox, apology: bool = False) -> VoiceResponse:
    """The voicemail prompt and <Record>, transcribed the way the mailbox's engine wants."""
    engine = transcripts.engine_for(mailbox)
    urls = _voicemail_urls()
    live = None
    if engine == transcripts.Engine.REALTIME:
        language = mailbox.language if mailbox else current_app.config["DEFAULT_LANGUAGE"]
        live = twiml.LiveTranscription(language, callback_url("/voice/live-transcription"))
    voice = calls.voice_for(mailbox)
    # Twilio's <Record transcribe> is English only (voicebox/transcription.py), whatever the engine says.
    transcribe = engine == transcripts.Engine.TWILIO and twilio_transcribes(voice.language)
    max_length = record_max_length(current_app.config["VOICEMAIL_MAX_SECONDS"], transcribe)
    return twiml.voicemail(voice, urls, max_length=max_length, transcribe=transcribe, apology=apology, live=live)


def _forward(mailbox, attempt: int, numbers: tuple[str, ...], greeting: str | None = None) -> VoiceResponse:
    if ring.rings_by_rest(mailbox, numbers):
        return _ring(mailbox, attempt, numbers, greeting)
    return _dial(mailbox, attempt, numbers, greeting)


def _dial(mailbox, attempt: int, numbers: tuple[str, ...], greeting: str | None) -> VoiceResponse:
    return twiml.forward(
        calls.voice_for(mailbox),
        numbers,
        ring_timeout=mailbox.ring_timeout,
        action=callback_url("/voice/dial-complete", attempt=attempt),
        screen_url=callback_url("/voice/screen") if mailbox.screen_calls else None,
        greeting=greeting,
    )


def _ring(mailbox, attempt: int, numbers: tuple[str, ...], greeting: str | None) -> VoiceResponse:
    """Screened simultaneous group: the caller waits in a queue while a job rings each phone."""
    base = callback_url("")  # kept on the ring: the jobs that build the legs' URLs have no request
    group, new = ring.start(required("CallSid"), e164("To"), attempt, numbers, mailbox.ring_timeout, base)
    if new and not ring_jobs.start_ringing(group):
        # Redis is down, so no job could ring the phones: ring them with <Dial> after all.
        ring.end(group, RingState.OVER)
        return _dial(mailbox, attempt, numbers, greeting)
    if group.state == RingState.OVER and ring.never_rang(group):
        return _dial(mailbox, attempt, numbers, greeting)  # Twilio retried the request above
    action = callback_url("/voice/ring/left", ring=group.id)
    return twiml.wait_in_queue(calls.voice_for(mailbox), group.queue_name, action=action, greeting=greeting)


def after_decision(mailbox, decision: calls.DialDecision) -> VoiceResponse:
    """The TwiML for what follows a ring group: hang up, ring the next group, or take a message."""
    if decision.action == "hangup":
        return twiml.hangup()
    if decision.action == "dial":
        return _forward(mailbox, decision.attempt, decision.numbers)
    return _voicemail(mailbox)


@voice_route("/incoming")
def incoming() -> VoiceResponse:
    call_sid, to = required("CallSid"), e164("To")
    mailbox = calls.find_mailbox(to)
    calls.record_call(call_sid, request.form.get("From", ""), to, mailbox)
    if mailbox is None or not mailbox.enabled:
        return twiml.unavailable(calls.voice_for(mailbox))
    groups = calls.dial_groups(mailbox)
    if not groups:  # nobody to ring: straight to voicemail
        return _voicemail(mailbox)
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
    # Every parameter is checked before anything is written: a 400 must leave no half-recorded call.
    call_sid, to, dial_status = required("CallSid"), e164("To"), required("DialCallStatus")
    try:
        attempt = parse_int(request.args.get("attempt", "0"), 0, 100)
    except ValueError:
        raise BadWebhook(f"attempt is not a whole number: {request.args['attempt'][:20]!r}") from None
    mailbox = calls.find_mailbox(to)
    calls.record_call(call_sid, request.form.get("From", ""), to, mailbox)
    decision = calls.after_dial(call_sid, dial_status, attempt, mailbox, optional_bool("DialBridged"))
    return after_decision(mailbox, decision)


@voice_route("/recording", fallback="hangup")
def recording() -> VoiceResponse:
    voicemails.record_recording(_recording_event(with_status=False))
    to = request.form.get("To", "")
    return twiml.said_then_hangup(calls.voice_for(calls.find_mailbox(to) if to else None), "thanks")


@voice_route("/recording-status", fallback="error")
def recording_status() -> VoiceResponse:
    event = _recording_event(with_status=True)
    pending_id = voicemails.record_recording(event)
    # Before the email's job: it must see the engine's `in-progress` (or `off`) when it looks.
    transcription_jobs.after_recording(event.recording_sid)
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


@voice_route("/live-transcription", fallback="error")
def live_transcription() -> VoiceResponse:
    """Real-Time Transcription events (statusCallbackUrl of <Start><Transcription>)."""
    event, call_sid = required("TranscriptionEvent"), required("CallSid")
    if event == "transcription-content":
        realtime.record_content(_live_content(call_sid))
    elif event in ("transcription-stopped", "transcription-error"):
        error = request.form.get("TranscriptionError") if event == "transcription-error" else None
        for voicemail_id in realtime.record_stopped(call_sid, error):
            transcription_jobs.queue_live_transcript(voicemail_id, "stopped")
    return twiml.empty()  # transcription-started and events we do not know need nothing


def _live_content(call_sid: str) -> realtime.Content:
    try:
        data = json.loads(request.form.get("TranscriptionData") or "{}")
        text = data.get("transcript", "")
    except (ValueError, AttributeError):
        raise BadWebhook("TranscriptionData is not a JSON object") from None
    if not isinstance(text, str):
        raise BadWebhook("TranscriptionData.transcript is not text")
    sequence = optional_int("SequenceId", maximum=10_000_000)
    if sequence is None:
        raise BadWebhook("missing parameter SequenceId")
    return realtime.Content(
        call_sid=call_sid,
        transcription_sid=required("TranscriptionSid"),
        sequence_id=sequence,
        text=text,
        final=request.form.get("Final", "true").strip().lower() != "false",
        track=request.form.get("Track") or None,
    )
