"""A local stand-in for Twilio's API and media host, for what Prism cannot play: recording audio
behind HTTP basic auth, and a Messages endpoint that records what the real twilio-python client sent.

It is a real HTTP server on a free port; the app reaches it through TWILIO_API_BASE_URL (the
REST client) or through a RecordingUrl pointing at it (media), exactly as it would reach Twilio.
"""

from __future__ import annotations

import base64
import json
import re
import threading
import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field

import pytest
from werkzeug.serving import make_server
from werkzeug.wrappers import Request, Response

from tests.support import ACCOUNT_SID, AUTH_TOKEN

RECORDING = re.compile(r"^/2010-04-01/Accounts/(AC\w+)/Recordings/(RE\w+?)(\.mp3|\.wav)?$")
MESSAGES = re.compile(r"^/2010-04-01/Accounts/(AC\w+)/Messages\.json$")


@dataclass
class Seen:
    method: str
    path: str
    authorization: str | None
    form: dict
    headers: dict


@dataclass
class TwilioStandIn:
    """Serves recordings (auth required) and accepts Messages.json POSTs."""

    account_sid: str
    auth_token: str
    recordings: dict[str, bytes] = field(default_factory=dict)
    default_recording: bytes | None = None  # served for any other RE SID (the call simulator makes fresh ones)
    requests: list[Seen] = field(default_factory=list)
    sms_failures: list[int] = field(default_factory=list)  # statuses to answer the next POSTs with
    unsubscribed: set[str] = field(default_factory=set)  # numbers that texted STOP: Twilio answers 21610
    chunked: bool = False  # stream recordings without Content-Length, as a CDN may

    def __post_init__(self) -> None:
        self._server = make_server("127.0.0.1", 0, self._wsgi, threaded=True)
        # serve_forever polls for shutdown every 0.5 s by default, and every test's close() waits for
        # that poll: 0.05 s keeps shutdown from dominating the notification tests' run time.
        self._thread = threading.Thread(target=self._server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
        self._thread.start()

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self._server.server_port}"

    def recording_url(self, recording_sid: str) -> str:
        """A RecordingUrl as Twilio sends it (no extension), on this host."""
        return f"{self.base_url}/2010-04-01/Accounts/{self.account_sid}/Recordings/{recording_sid}"

    def close(self) -> None:
        self._server.shutdown()
        self._thread.join(5)

    def sms_posts(self) -> list[Seen]:
        return [r for r in self.requests if r.method == "POST" and MESSAGES.match(r.path)]

    def _authorized(self, request: Request) -> bool:
        expected = base64.b64encode(f"{self.account_sid}:{self.auth_token}".encode()).decode()
        return request.headers.get("Authorization") == f"Basic {expected}"

    @Request.application
    def _wsgi(self, request: Request) -> Response:
        self.requests.append(
            Seen(
                request.method,
                request.path,
                request.headers.get("Authorization"),
                request.form.to_dict(),
                dict(request.headers),
            )
        )
        if not self._authorized(request):
            return Response(json.dumps({"code": 20003, "message": "Authenticate", "status": 401}), 401)
        if (match := RECORDING.match(request.path)) and request.method == "GET":
            return self._recording(request, match.group(2))
        if MESSAGES.match(request.path) and request.method == "POST":
            return self._message(request)
        return Response(json.dumps({"code": 20404, "message": "not found", "status": 404}), 404)

    def _recording(self, request: Request, recording_sid: str) -> Response:
        audio = self.recordings.get(recording_sid, self.default_recording)
        if audio is None:
            return Response(json.dumps({"code": 20404, "message": "not found", "status": 404}), 404)
        if self.chunked:
            return Response(iter([audio[i : i + 1000] for i in range(0, len(audio), 1000)]), mimetype="audio/mpeg")
        response = Response(audio, mimetype="audio/mpeg")
        response.headers["Set-Cookie"] = "twilio-internal=secret"  # must never reach the browser
        return response.make_conditional(request, accept_ranges=True, complete_length=len(audio))

    def _message(self, request: Request) -> Response:
        if request.form.get("To") in self.unsubscribed:
            body = {
                "code": 21610,
                "message": "Attempt to send to unsubscribed recipient",
                "more_info": "https://www.twilio.com/docs/errors/21610",
                "status": 400,
            }
            return Response(json.dumps(body), 400, mimetype="application/json")
        if self.sms_failures:
            status = self.sms_failures.pop(0)
            body = {"code": 21211 if status < 500 else 20500, "message": f"stand-in error {status}", "status": status}
            return Response(json.dumps(body), status, mimetype="application/json")
        sid = "SM" + uuid.uuid4().hex
        body = {
            "sid": sid,
            "account_sid": self.account_sid,
            "to": request.form.get("To"),
            "from": request.form.get("From"),
            "messaging_service_sid": request.form.get("MessagingServiceSid"),
            "body": request.form.get("Body"),
            "status": "queued",
            "uri": f"/2010-04-01/Accounts/{self.account_sid}/Messages/{sid}.json",
        }
        return Response(json.dumps(body), 201, mimetype="application/json")


@pytest.fixture
def standin() -> Iterator[TwilioStandIn]:
    """A running stand-in for Twilio's API and media host, for the test's account; stopped after the test."""
    host = TwilioStandIn(ACCOUNT_SID, AUTH_TOKEN)
    yield host
    host.close()
