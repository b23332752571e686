"""Prism mock server fixtures (Twilio's own OpenAPI spec), and a recording HttpClient over it.

`prism_url` starts `prism mock` (tests/package.json pins @stoplight/prism-cli 5.14.2 and the spec from
@twilio-alpha/mcp 0.7.0) on a free port for the session. Prism validates every request against the
spec (a bad MessagingServiceSid, a ScheduleType other than `fixed` or a non-date SendAt get a 422) and
answers canned examples.

`PrismTwilio` is the twilio-python HttpClient the app uses in tests: every request really goes to
Prism and is recorded with Prism's own status. Only when Prism accepted it does a thin layer reshape
the answer where a canned example cannot behave like Twilio: a fresh SM... SID per created message,
`scheduled` for ScheduleType=fixed, `canceled` after a cancel (30409 once a message is not
scheduled), a 21610 error for numbers a test marks unsubscribed, and 5xx answers a test queues;
for Calls: a fresh CA... SID per created call, updates (Status, Url) applied to calls it created
(404 for others), and a 21217 error for numbers a test marks unreachable;
IncomingPhoneNumbers list and update answer from the numbers a test gives the account (`own_number`).
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pytest
import requests
from twilio.http.response import Response

from tests.support import free_port
from voicebox.twilio_client import BaseUrlHttpClient

TESTS = Path(__file__).resolve().parents[1]  # tests/, where package.json and node_modules are
PRISM = TESTS / "node_modules" / ".bin" / "prism"
SPECS = TESTS / "node_modules" / "@twilio-alpha" / "mcp" / "twilio-oai" / "spec" / "json"
SPEC = SPECS / "twilio_api_v2010.json"
CONVERSATIONS_SPEC = SPECS / "twilio_conversations_v1.json"
ACCOUNT = "AC" + "0" * 32
CREATE = re.compile(r"^/2010-04-01/Accounts/(AC\w+)/Messages\.json$")
ONE = re.compile(r"^/2010-04-01/Accounts/(AC\w+)/Messages/((?:SM|MM)\w+)\.json$")
CALLS = re.compile(r"^/2010-04-01/Accounts/(AC\w+)/Calls\.json$")
CALL = re.compile(r"^/2010-04-01/Accounts/(AC\w+)/Calls/(CA\w+)\.json$")
NUMBERS = re.compile(r"^/2010-04-01/Accounts/(AC\w+)/IncomingPhoneNumbers\.json$")
NUMBER = re.compile(r"^/2010-04-01/Accounts/(AC\w+)/IncomingPhoneNumbers/(PN\w+)\.json$")


MESSAGES_PROBE = f"/2010-04-01/Accounts/{ACCOUNT}/Messages/SM{'0' * 32}.json"
CONVERSATIONS_PROBE = f"/v1/Conversations/CH{'0' * 32}/Participants/MB{'0' * 32}"


def _answers(url: str, probe: str = MESSAGES_PROBE) -> bool:
    try:
        return requests.get(url + probe, auth=(ACCOUNT, "x"), timeout=1).status_code == 200
    except requests.RequestException:
        return False


def missing_prerequisite() -> str | None:
    """Why Prism cannot run here, or None."""
    if shutil.which("node") is None or shutil.which("npx") is None:
        return "Prism needs node and npx, which are not installed (apt-get install nodejs npm)"
    if not PRISM.exists() or not SPEC.exists():
        return "Prism and Twilio's spec are not installed: run `npm ci` in tests/ (see tests/package.json)"
    return None


def start_prism(log_path: Path, spec: Path = SPEC, probe: str = MESSAGES_PROBE) -> tuple[subprocess.Popen, str]:
    """Start `prism mock` for `spec` on a free port of 127.0.0.1 and wait until it answers."""
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    with open(log_path, "wb") as log:
        proc = subprocess.Popen(
            [str(PRISM), "mock", "-h", "127.0.0.1", "-p", str(port), str(spec)],
            stdout=log,
            stderr=subprocess.STDOUT,
            cwd=TESTS,
            env={**os.environ, "NO_COLOR": "1"},
        )
    try:
        _wait_for(proc, url, log_path, probe)
    except BaseException:
        stop_prism(proc)
        raise
    return proc, url


def stop_prism(proc: subprocess.Popen) -> None:
    proc.terminate()
    try:
        proc.wait(timeout=10)
    except subprocess.TimeoutExpired:
        proc.kill()


@pytest.fixture(scope="session")
def prism_url(tmp_path_factory) -> Iterator[str]:
    """A running Prism mock of Twilio's 2010-04-01 API on 127.0.0.1 (skips only if it is not installed)."""
    reason = missing_prerequisite()
    if reason:
        pytest.skip(reason)
    proc, url = start_prism(tmp_path_factory.mktemp("prism") / "prism.log")
    try:
        yield url
    finally:
        stop_prism(proc)


@pytest.fixture(scope="session")
def conversations_prism_url(tmp_path_factory) -> Iterator[str]:
    """A running Prism mock of Twilio's Conversations v1 API (for participant lookups)."""
    reason = missing_prerequisite()
    if reason:
        pytest.skip(reason)
    log = tmp_path_factory.mktemp("prism-conversations") / "prism.log"
    proc, url = start_prism(log, CONVERSATIONS_SPEC, CONVERSATIONS_PROBE)
    try:
        yield url
    finally:
        stop_prism(proc)


def _wait_for(proc: subprocess.Popen, url: str, log_path: Path, probe: str, timeout: float = 90) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"Prism exited with {proc.returncode}:\n{log_path.read_text()[-2000:]}")
        if _answers(url, probe):
            return
        time.sleep(0.2)
    raise RuntimeError(f"Prism did not answer within {timeout}s:\n{log_path.read_text()[-2000:]}")


@dataclass
class Exchange:
    """One REST call as twilio-python made it, Prism's verdict, and what the app was answered."""

    method: str
    path: str
    data: dict[str, Any]
    prism_status: int
    status: int
    body: Any
    sent_at: float = 0.0  # time.monotonic() when the request left

    @property
    def accepted_by_prism(self) -> bool:
        return 200 <= self.prism_status < 300


def _for_prism(data: dict | None) -> dict | None:
    """twilio-python sends a list (MediaUrl) as repeated keys, as Twilio expects. Prism 5.14 keeps only
    the last of repeated form keys and then fails the array check (stoplightio/prism#2473), so Prism
    alone is shown the `MediaUrl[]=` spelling it understands; the recorded request stays as sent."""
    if not data:
        return data
    return {f"{k}[]" if isinstance(v, list) else k: v for k, v in data.items()}


def _error(status: int, code: int, message: str) -> Response:
    body = {
        "code": code,
        "message": message,
        "more_info": f"https://www.twilio.com/docs/errors/{code}",
        "status": status,
    }
    return Response(status, json.dumps(body))


class PrismTwilio(BaseUrlHttpClient):
    """The test HttpClient: real requests to Prism, recorded, with a thin Twilio-like layer on top."""

    def __init__(self, base_url: str) -> None:
        super().__init__(base_url, timeout=10)
        self.exchanges: list[Exchange] = []
        self.unsubscribed: set[str] = set()
        self.statuses: dict[str, str] = {}  # SID -> status, as Twilio would report it
        self.queued_failures: list[tuple[int, int, str]] = []
        self.calls: dict[str, dict[str, Any]] = {}  # CA... -> {"to", "status", "url"} of calls created here
        self.unreachable: set[str] = set()  # numbers whose calls.create Twilio refuses (21217)
        self.phone_numbers: dict[str, dict[str, Any]] = {}  # PN SID -> the account's number, as Twilio keeps it

    def own_number(self, phone_number: str, **fields: str) -> str:
        """Give the account a phone number (webhooks unset unless `fields` say otherwise); returns its SID."""
        sid = "PN" + uuid.uuid4().hex
        self.phone_numbers[sid] = {"sid": sid, "phone_number": phone_number, "voice_url": "", "voice_method": "POST"}
        self.phone_numbers[sid] |= {"sms_url": "", "sms_method": "POST", **fields}
        return sid

    def fail_next(self, times: int = 1, status: int = 503, code: int = 20503, message: str = "Service Unavailable"):
        """Answer the next `times` requests Prism accepts with this error instead (Twilio having a bad day)."""
        self.queued_failures += [(status, code, message)] * times

    def creates(self) -> list[Exchange]:
        return [e for e in self.exchanges if e.method == "POST" and CREATE.match(e.path)]

    def cancels(self) -> list[Exchange]:
        return [e for e in self.exchanges if e.method == "POST" and ONE.match(e.path) and "Status" in e.data]

    def call_creates(self) -> list[Exchange]:
        return [e for e in self.exchanges if e.method == "POST" and CALLS.match(e.path)]

    def call_updates(self) -> list[Exchange]:
        return [e for e in self.exchanges if e.method == "POST" and CALL.match(e.path)]

    def request(self, method, url, params=None, data=None, headers=None, auth=None, timeout=None, **kwargs):
        path = urlsplit(url).path
        headers = dict(headers or {})
        if method == "POST" and ONE.match(path) and (data or {}).get("Status") == "canceled":
            headers["Prefer"] = "example=cancelMessage"  # Prism's canned answer for this call
        sent_at = time.monotonic()
        answer = super().request(method, url, params, _for_prism(data), headers, auth, timeout, **kwargs)
        prism_status = answer.status_code
        if 200 <= prism_status < 300:
            answer = self._like_twilio(method, path, dict(data or {}), answer, dict(params or {}))
        body = json.loads(answer.text) if answer.text else None
        exchange = Exchange(method, path, dict(data or {}), prism_status, answer.status_code, body, sent_at)
        self.exchanges.append(exchange)
        return answer

    def _like_twilio(self, method: str, path: str, data: dict, answer: Response, params: dict) -> Response:
        if self.queued_failures:
            return _error(*self.queued_failures.pop(0))
        if method == "GET" and NUMBERS.match(path):
            return self._numbers(params.get("PhoneNumber"), json.loads(answer.text))
        if (number := NUMBER.match(path)) and method == "POST":
            return self._number_updated(number.group(2), data, json.loads(answer.text))
        if method == "POST" and CREATE.match(path):
            return self._created(data, json.loads(answer.text))
        if method == "POST" and CALLS.match(path):
            return self._call_created(data, json.loads(answer.text))
        if method == "POST" and (call := CALL.match(path)):
            return self._call_updated(call.group(2), data, json.loads(answer.text))
        match = ONE.match(path)
        if match and method == "POST" and data.get("Status") == "canceled":
            return self._canceled(match.group(2), json.loads(answer.text))
        if match and method == "GET" and match.group(2) in self.statuses:
            body = json.loads(answer.text) | {"sid": match.group(2), "status": self.statuses[match.group(2)]}
            return Response(200, json.dumps(body))
        return answer

    def _created(self, data: dict, body: dict) -> Response:
        if data.get("To") in self.unsubscribed:
            return _error(400, 21610, "Attempt to send to unsubscribed recipient")
        sid = "SM" + uuid.uuid4().hex
        # With a Messaging Service Twilio first says "accepted"; a fixed schedule says "scheduled".
        status = "scheduled" if data.get("ScheduleType") == "fixed" else "accepted"
        self.statuses[sid] = status
        body |= {"sid": sid, "status": status, "to": data.get("To"), "body": data.get("Body")}
        body |= {"messaging_service_sid": data.get("MessagingServiceSid")}
        return Response(201, json.dumps(body))

    def _call_created(self, data: dict, body: dict) -> Response:
        if data.get("To") in self.unreachable:
            return _error(400, 21217, "Phone number does not appear to be valid")
        sid = "CA" + uuid.uuid4().hex
        self.calls[sid] = {"to": data.get("To"), "status": "queued", "url": data.get("Url")}
        body |= {"sid": sid, "status": "queued", "to": data.get("To"), "from": data.get("From")}
        return Response(201, json.dumps(body))

    def _call_updated(self, sid: str, data: dict, body: dict) -> Response:
        call = self.calls.get(sid)
        if call is None:
            return _error(404, 20404, f"The requested resource /Calls/{sid}.json was not found")
        if data.get("Status"):
            call["status"] = data["Status"]
        if data.get("Url"):
            call["url"] = data["Url"]
        return Response(200, json.dumps(body | {"sid": sid, "status": call["status"], "to": call["to"]}))

    def _numbers(self, phone_number: str | None, body: dict) -> Response:
        template = body["incoming_phone_numbers"][0]
        owned = [n for n in self.phone_numbers.values() if phone_number in (None, n["phone_number"])]
        body |= {"incoming_phone_numbers": [template | n for n in owned], "next_page_uri": None}
        return Response(200, json.dumps(body))

    def _number_updated(self, sid: str, data: dict, body: dict) -> Response:
        if sid not in self.phone_numbers:
            return _error(404, 20404, f"The requested resource /IncomingPhoneNumbers/{sid}.json was not found")
        # Form fields are CamelCase (VoiceUrl); the resource's JSON is snake_case (voice_url).
        self.phone_numbers[sid] |= {re.sub(r"(?<!^)(?=[A-Z])", "_", k).lower(): v for k, v in data.items()}
        return Response(200, json.dumps(body | self.phone_numbers[sid]))

    def _canceled(self, sid: str, body: dict) -> Response:
        if sid not in self.statuses:
            return _error(404, 20404, f"The requested resource /Messages/{sid}.json was not found")
        if self.statuses[sid] != "scheduled":
            return _error(400, 30409, "This message cannot be canceled")
        self.statuses[sid] = "canceled"
        return Response(200, json.dumps(body | {"sid": sid, "status": "canceled"}))


@pytest.fixture
def prism(prism_url) -> PrismTwilio:
    """A fresh recording HttpClient over the session's Prism server."""
    return PrismTwilio(prism_url)
