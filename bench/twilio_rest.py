"""A stand-in for the part of Twilio's Messages REST API that voicebox calls, on loopback.

It answers create (POST .../Messages.json), list by recipient (GET .../Messages.json?To=, the
lookup voicebox makes before sending again after an interrupted try), fetch and cancel (POST
.../Messages/{SM}.json Status=canceled) with JSON shaped like Twilio's Message resource, and it
records every create, so a benchmark can count how many times each text was sent.
"""

from __future__ import annotations

import contextlib
import json
import re
import threading
import time
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime
from email.utils import format_datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlsplit

MESSAGES = re.compile(r"^/2010-04-01/Accounts/(AC\w+)/Messages\.json$")
MESSAGE = re.compile(r"^/2010-04-01/Accounts/(AC\w+)/Messages/(SM\w+)\.json$")


@dataclass(frozen=True)
class Create:
    """One accepted create: when it arrived (time.monotonic()), to whom, and the SID given."""

    at: float
    to: str
    sid: str


class TwilioRest:
    """The stand-in server: `start()`, then point TWILIO_API_BASE_URL at `url`."""

    def __init__(self, port: int) -> None:
        self.port = port
        self.messages: dict[str, dict[str, Any]] = {}  # SID -> resource
        self.creates: list[Create] = []
        # Seconds to hold each create's answer after recording it: a window in which a worker can be
        # killed after "Twilio" accepted a text and before voicebox stored its SID.
        self.answer_delay = 0.0
        self.lock = threading.Lock()
        self.server = ThreadingHTTPServer(("127.0.0.1", port), _handler(self))
        self.server.daemon_threads = True

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self) -> None:
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def stop(self) -> None:
        self.server.shutdown()
        self.server.server_close()

    def create(self, account: str, form: dict[str, str]) -> tuple[int, dict[str, Any]]:
        """A new message; with a Messaging Service Twilio first says "accepted" (or "scheduled")."""
        sid = "SM" + uuid.uuid4().hex
        now = format_datetime(datetime.now(UTC), usegmt=True)
        status = "scheduled" if form.get("ScheduleType") == "fixed" else "accepted"
        resource = {
            "sid": sid,
            "account_sid": account,
            "to": form.get("To"),
            "from": None,
            "body": form.get("Body"),
            "status": status,
            "messaging_service_sid": form.get("MessagingServiceSid"),
            "direction": "outbound-api",
            "num_media": str(len([k for k in form if k == "MediaUrl"])),
            "num_segments": "1",
            "date_created": now,
            "date_updated": now,
            "date_sent": None,
            "error_code": None,
            "error_message": None,
            "price": None,
            "price_unit": "USD",
            "api_version": "2010-04-01",
            "uri": f"/2010-04-01/Accounts/{account}/Messages/{sid}.json",
            "subresource_uris": {"media": f"/2010-04-01/Accounts/{account}/Messages/{sid}/Media.json"},
        }
        with self.lock:
            self.messages[sid] = resource
            self.creates.append(Create(time.monotonic(), str(form.get("To")), sid))
        time.sleep(self.answer_delay)
        return 201, resource

    def list_to(self, account: str, to: str | None) -> tuple[int, dict[str, Any]]:
        """Messages to one number, newest first, on a single page."""
        with self.lock:
            found = [m for m in reversed(self.messages.values()) if to is None or m["to"] == to]
        uri = f"/2010-04-01/Accounts/{account}/Messages.json"
        page = {"first_page_uri": uri, "next_page_uri": None, "previous_page_uri": None, "page": 0}
        return 200, {"messages": found, "uri": uri, "page_size": 50, "start": 0, "end": len(found), **page}

    def update(self, sid: str, form: dict[str, str]) -> tuple[int, dict[str, Any]]:
        """Status=canceled: only a scheduled message can be canceled (else 30409)."""
        with self.lock:
            resource = self.messages.get(sid)
            if resource is None:
                return _error(404, 20404, f"The requested resource /Messages/{sid}.json was not found")
            if form.get("Status") == "canceled":
                if resource["status"] != "scheduled":
                    return _error(400, 30409, "This message cannot be canceled")
                resource["status"] = "canceled"
            return 200, dict(resource)

    def fetch(self, sid: str) -> tuple[int, dict[str, Any]]:
        with self.lock:
            resource = self.messages.get(sid)
        if resource is None:
            return _error(404, 20404, f"The requested resource /Messages/{sid}.json was not found")
        return 200, dict(resource)


def _error(status: int, code: int, message: str) -> tuple[int, dict[str, Any]]:
    return status, {"code": code, "message": message, "more_info": f"https://www.twilio.com/docs/errors/{code}"}


def _handler(rest: TwilioRest) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            parts = urlsplit(self.path)
            query = {k: v[0] for k, v in parse_qs(parts.query).items()}
            if match := MESSAGES.match(parts.path):
                self._answer(*rest.list_to(match.group(1), query.get("To")))
            elif match := MESSAGE.match(parts.path):
                self._answer(*rest.fetch(match.group(2)))
            else:
                self._answer(*_error(404, 20404, f"The requested resource {parts.path} was not found"))

        def do_POST(self) -> None:
            length = int(self.headers.get("Content-Length") or 0)
            form = {k: v[0] for k, v in parse_qs(self.rfile.read(length).decode()).items()}
            path = urlsplit(self.path).path
            if match := MESSAGES.match(path):
                self._answer(*rest.create(match.group(1), form))
            elif match := MESSAGE.match(path):
                self._answer(*rest.update(match.group(2), form))
            else:
                self._answer(*_error(404, 20404, f"The requested resource {path} was not found"))

        def _answer(self, status: int, body: dict[str, Any]) -> None:
            data = json.dumps(body).encode()
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            with contextlib.suppress(BrokenPipeError, ConnectionResetError):  # the caller was SIGKILLed
                self.wfile.write(data)

        def log_message(self, format: str, *args: Any) -> None:  # quiet: the bench prints its own counts
            pass

    return Handler
