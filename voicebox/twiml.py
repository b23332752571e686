"""Pure TwiML builders. Views pass in data and absolute URLs; nothing here touches the database."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from twilio.twiml.voice_response import VoiceResponse

from .phrases import Voice


@dataclass(frozen=True)
class VoicemailUrls:
    """Where <Record> reports back."""

    action: str
    transcribe_callback: str
    status_callback: str


@dataclass(frozen=True)
class LiveTranscription:
    """<Start><Transcription> before <Record>: Twilio's Real-Time Transcription of the caller."""

    language_code: str  # BCP 47, the mailbox's language
    status_callback: str


def unavailable(voice: Voice) -> VoiceResponse:
    """A polite refusal for an unknown number or a disabled mailbox."""
    response = VoiceResponse()
    voice.say(response, "unavailable")
    response.hangup()
    return response


def forward(
    voice: Voice,
    numbers: Sequence[str],
    *,
    ring_timeout: int,
    action: str,
    screen_url: str | None,
    greeting: str | None = None,
) -> VoiceResponse:
    """Ring `numbers` together in one <Dial>, each leg screened when `screen_url` is given."""
    response = VoiceResponse()
    if greeting:
        voice.say_text(response, greeting)
    dial = response.dial(
        timeout=ring_timeout,
        action=action,
        method="POST",
        answer_on_bridge=True,
        hangup_on_star=True,
    )
    for number in numbers:
        if screen_url:
            dial.number(number, url=screen_url, method="POST")
        else:
            dial.number(number)
    return response


def wait_in_queue(voice: Voice, queue_name: str, *, action: str, greeting: str | None = None) -> VoiceResponse:
    """The caller waits in a queue, hearing Twilio's default hold music (never silence), while
    voicebox rings the phones; `action` is requested when the caller leaves the queue."""
    response = VoiceResponse()
    if greeting:
        voice.say_text(response, greeting)
    response.enqueue(queue_name, action=action, method="POST")
    return response


def dial_queue(queue_name: str) -> VoiceResponse:
    """Bridge the accepting callee to the caller waiting in `queue_name`. The short timeout covers a
    caller who hung up just as the callee pressed 1: the queue is empty, so the leg ends soon."""
    response = VoiceResponse()
    response.dial(timeout=10).queue(queue_name)
    return response


def screen_prompt(voice: Voice, *, mailbox: str, caller: str, action: str, timeout: int) -> VoiceResponse:
    """Ask the callee to press 1. Silence (an answering machine) still reports to `action`
    (actionOnEmptyResult), so the decline is recorded; the <Hangup/> is the fallback."""
    response = VoiceResponse()
    gather = response.gather(num_digits=1, action=action, method="POST", timeout=timeout, action_on_empty_result=True)
    voice.say(gather, "screen", mailbox=mailbox, caller=caller)
    response.hangup()
    return response


def voicemail(
    voice: Voice,
    urls: VoicemailUrls,
    *,
    max_length: int,
    transcribe: bool,
    apology: bool = False,
    live: LiveTranscription | None = None,
) -> VoiceResponse:
    """Prompt, <Record> with status callbacks (and Twilio's transcription when `transcribe`), then a
    goodbye if nothing was recorded.

    With `live`, the caller's side (inbound_track) is transcribed in real time from just before the
    prompt; Twilio posts transcription-started/-content/-stopped events to its status callback.
    """
    response = VoiceResponse()
    if live is not None:
        start = response.start()
        start.transcription(
            language_code=live.language_code,
            track="inbound_track",
            status_callback_url=live.status_callback,
            status_callback_method="POST",
            partial_results=False,
        )
    if apology:
        voice.say(response, "apology")
    voice.say(response, "leave_message")
    transcription = {"transcribe": True, "transcribe_callback": urls.transcribe_callback} if transcribe else {}
    response.record(
        max_length=max_length,
        finish_on_key="#",
        play_beep=True,
        trim="trim-silence",
        action=urls.action,
        method="POST",
        **transcription,
        recording_status_callback=urls.status_callback,
        recording_status_callback_method="POST",
        recording_status_callback_event="completed absent",
    )
    # Reached only when <Record> ends without calling its action (e.g. nothing was said).
    voice.say(response, "goodbye")
    response.hangup()
    return response


def said_then_hangup(voice: Voice, key: str) -> VoiceResponse:
    """One phrase, then <Hangup/>."""
    response = VoiceResponse()
    voice.say(response, key)
    response.hangup()
    return response


def hangup() -> VoiceResponse:
    """Just <Hangup/>."""
    response = VoiceResponse()
    response.hangup()
    return response


def empty() -> VoiceResponse:
    """An empty <Response/>: on a screened leg it lets Twilio bridge the call."""
    return VoiceResponse()
