"""An OpenAI-compatible speech-to-text API (POST {TRANSCRIPTION_API_BASE}/audio/transcriptions).

The same request serves OpenAI, Groq and self-hosted faster-whisper or whisper.cpp servers: a
multipart form with `file`, `model`, `language` (ISO 639-1) and `response_format=json`, answered
with {"text": "..."}; errors come as {"error": {"message": ...}}.
"""

from __future__ import annotations

import requests
from flask import current_app

# OpenAI's documented upload limit; larger recordings are refused before any upload.
MAX_UPLOAD_BYTES = 25 * 1024 * 1024


class Unavailable(Exception):
    """Worth trying again later: a timeout, no connection, 429 (rate limit) or a 5xx."""


class Refused(Exception):
    """Trying again will not help: a 4xx such as a bad key or model, or an answer that is not a transcript."""


def transcribe(audio: bytes, filename: str, language: str | None) -> str:
    """The transcript of `audio` (MP3). Raises Unavailable or Refused."""
    cfg = current_app.config
    url = cfg["TRANSCRIPTION_API_BASE"].rstrip("/") + "/audio/transcriptions"
    key = cfg["TRANSCRIPTION_API_KEY"]
    form = {"model": cfg["TRANSCRIPTION_MODEL"], "response_format": "json"} | (
        {"language": language} if language else {}
    )
    try:
        response = requests.post(
            url,
            headers={"Authorization": f"Bearer {key}"} if key else {},
            data=form,
            files={"file": (filename, audio, "audio/mpeg")},
            timeout=cfg["TRANSCRIPTION_TIMEOUT"],
        )
    except requests.RequestException as exc:
        raise Unavailable(f"could not reach the transcription API: {type(exc).__name__}") from exc
    if response.status_code == 429 or response.status_code >= 500:
        raise Unavailable(f"the transcription API answered {response.status_code}: {_message(response)}")
    if response.status_code >= 400:
        raise Refused(f"the transcription API refused the recording: {response.status_code} {_message(response)}")
    return _text(response)


def _text(response: requests.Response) -> str:
    try:
        text = response.json()["text"]
    except (ValueError, KeyError, TypeError):
        text = None
    if not isinstance(text, str):
        raise Refused(f"the transcription API answered without a transcript: {response.text[:200]!r}")
    return text.strip()


def _message(response: requests.Response) -> str:
    """The API's own error message when it sent one, else the start of the body."""
    try:
        return str(response.json()["error"]["message"])[:300]
    except (ValueError, KeyError, TypeError):
        return response.text[:200] or response.reason or ""
