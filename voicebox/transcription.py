"""What Twilio's <Record transcribe> can do, so voicebox only asks for what it will get.

Twilio transcribes recordings longer than 2 and shorter than 120 seconds (error 13617 otherwise),
in English only. Other languages get no transcript from Twilio (another issue adds them).
"""

from __future__ import annotations

# Exclusive bounds, in seconds, of what Twilio will transcribe (error 13617 outside them).
MIN_SECONDS = 2
MAX_SECONDS = 120


def twilio_transcribes(language: str | None) -> bool:
    """Whether to ask Twilio to transcribe a mailbox speaking `language` (English only)."""
    return (language or "").split("-")[0].lower() == "en"


def record_max_length(configured: int, transcribe: bool) -> int:
    """<Record maxLength>: capped just below Twilio's transcription limit when it transcribes,
    so a caller who talks to the end still gets a transcript."""
    return min(configured, MAX_SECONDS - 1) if transcribe else configured


def transcript_expected(language: str | None, duration: int | None) -> bool:
    """Whether a transcription callback can still come for this recording."""
    if not twilio_transcribes(language):
        return False
    return duration is None or MIN_SECONDS < duration < MAX_SECONDS
