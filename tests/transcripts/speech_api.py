"""A loopback stand-in for an OpenAI-compatible speech-to-text API (POST /v1/audio/transcriptions).

It checks each request as the real API would (bearer key, multipart `file`, `model`, optional
`language`) and answers like it: {"text": ...} on success, {"error": {...}} with 400/401 for a bad
request, and whatever a test queues in `answers` (a 429, a 500, or garbage) before that.
"""

from __future__ import annotations

import json
import threading
import time
from dataclasses import dataclass, field

from werkzeug.serving import make_server
from werkzeug.wrappers import Request, Response

API_KEY = "sk-test-transcription"
MODEL = "whisper-large-v3"
PATH = "/v1/audio/transcriptions"
SLOW = 0  # an `answers` status meaning: answer late (the body is the delay in seconds)

RATE_LIMITED = (
    429,
    {
        "error": {
            "message": "Rate limit reached for requests",
            "type": "requests",
            "param": None,
            "code": "rate_limit_exceeded",
        }
    },
)
SERVER_ERROR = (
    500,
    {
        "error": {
            "message": "The server had an error while processing your request.",
            "type": "server_error",
            "param": None,
            "code": None,
        }
    },
)


@dataclass
class Upload:
    """One request as the API received it."""

    authorization: str | None
    filename: str | None
    content_type: str | None
    audio: bytes
    model: str | None
    language: str | None
    response_format: str | None


@dataclass
class SpeechApi:
    transcripts: dict[str | None, str] = field(default_factory=dict)  # language hint -> text
    answers: list[tuple[int, object]] = field(default_factory=list)  # (status, JSON body or raw bytes) to send first
    uploads: list[Upload] = field(default_factory=list)

    def __post_init__(self) -> None:
        self._server = make_server("127.0.0.1", 0, self._wsgi, threaded=True)
        self._thread = threading.Thread(target=self._server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
        self._thread.start()

    @property
    def base_url(self) -> str:
        """What TRANSCRIPTION_API_BASE is set to (with the version, as OpenAI's own base URL)."""
        return f"http://127.0.0.1:{self._server.server_port}/v1"

    def settings(self) -> dict:
        return {"TRANSCRIPTION_API_BASE": self.base_url, "TRANSCRIPTION_API_KEY": API_KEY, "TRANSCRIPTION_MODEL": MODEL}

    def close(self) -> None:
        self._server.shutdown()
        self._thread.join()

    @Request.application
    def _wsgi(self, request: Request) -> Response:
        if request.method != "POST" or request.path != PATH:
            return _error(404, f"Invalid URL ({request.method} {request.path})", "invalid_request_error")
        upload = request.files.get("file")
        self.uploads.append(
            Upload(
                authorization=request.headers.get("Authorization"),
                filename=upload.filename if upload else None,
                content_type=upload.mimetype if upload else None,
                audio=upload.read() if upload else b"",
                model=request.form.get("model"),
                language=request.form.get("language"),
                response_format=request.form.get("response_format"),
            )
        )
        if request.headers.get("Authorization") != f"Bearer {API_KEY}":
            return _error(401, "Incorrect API key provided.", "invalid_request_error")
        if upload is None or not self.uploads[-1].audio:
            return _error(400, "you must provide a file", "invalid_request_error", "file")
        if request.form.get("model") != MODEL:
            return _error(400, f"model {request.form.get('model')!r} does not exist", "invalid_request_error", "model")
        if self.answers:
            status, body = self.answers.pop(0)
            if status == SLOW:  # hold the request for `body` seconds, then answer as usual
                time.sleep(float(body))  # type: ignore[arg-type]
                return self._transcript(request)
            raw = body if isinstance(body, bytes) else json.dumps(body).encode()
            return Response(
                raw, status=status, content_type="application/json" if not isinstance(body, bytes) else "text/html"
            )
        return self._transcript(request)

    def _transcript(self, request: Request) -> Response:
        text = self.transcripts.get(request.form.get("language"), "")
        return Response(json.dumps({"text": text}, ensure_ascii=False), content_type="application/json")


def _error(status: int, message: str, kind: str, param: str | None = None) -> Response:
    body = {"error": {"message": message, "type": kind, "param": param, "code": None}}
    return Response(json.dumps(body), status=status, content_type="application/json")
