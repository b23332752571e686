"""What every test folder shares: the test credentials, Twilio-signed requests, TwiML parsing, a free
port, and a real RQ worker run in-process.

The stand-in servers live beside this module: `standin` (Twilio's media host and Messages endpoint),
`prism` (Twilio's REST API mocked from its OpenAPI spec), `smtp` (aiosmtpd); `builders` makes rows
through the app's own services; `pg_schema` gives each run a private PostgreSQL schema.
"""

from __future__ import annotations

import socket
import time
import xml.etree.ElementTree as ET
from collections.abc import Callable
from pathlib import Path

from rq import SimpleWorker
from twilio.request_validator import RequestValidator

from voicebox.queueing import get_queue, get_redis

AUTH_TOKEN = "test-auth-token-0123456789abcdef"
API_TOKEN = "test-api-token-0123456789abcdefghijkl"
SECRET_KEY = "test-secret-key-0123456789abcdefghijkl"
ACCOUNT_SID = "AC" + "0" * 32
REPO = Path(__file__).resolve().parents[2]  # the checkout: wsgi.py, .env.example, templates/


def free_port() -> int:
    """A TCP port on 127.0.0.1 that nothing listens on right now."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def work() -> None:
    """One burst of a real RQ worker with its scheduler (due scheduled jobs and retries move first)."""
    SimpleWorker([get_queue()], connection=get_redis()).work(burst=True, with_scheduler=True)


def work_until(condition: Callable[[], bool], timeout: float = 20) -> None:
    """Run burst workers until `condition` holds (for retries and fallbacks that fall due later)."""
    deadline = time.monotonic() + timeout
    while True:
        work()
        if condition():
            return
        assert time.monotonic() < deadline, "gave up waiting for the worker"
        time.sleep(0.2)


class Twilio:
    """Posts webhooks to the app signed exactly as Twilio signs them."""

    def __init__(self, client, public_base: str | None = None, token: str = AUTH_TOKEN):
        self.client = client
        self.public_base = public_base
        self.validator = RequestValidator(token)

    def post(self, path: str, params: dict, *, signature: str | None = None, sign_url: str | None = None):
        url = sign_url or (self.public_base or "http://localhost").rstrip("/") + path
        headers = {}
        if signature is None:
            signature = self.validator.compute_signature(url, params)
        if signature:
            headers["X-Twilio-Signature"] = signature
        return self.client.post(path, data=params, headers=headers)


def twiml(response) -> ET.Element:
    """Parse a TwiML response, checking it is XML served as XML."""
    assert response.mimetype in {"text/xml", "application/xml"}, response.mimetype
    root = ET.fromstring(response.data)
    assert root.tag == "Response"
    return root


def api_headers() -> dict:
    return {"Authorization": f"Bearer {API_TOKEN}"}
