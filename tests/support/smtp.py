"""Real SMTP server fixtures (aiosmtpd on a free port).

`smtp_server` is a live SMTP server that keeps what it accepts. Tests can make it refuse
(`refuse(421)` for "try later", `refuse(550)` for "never"), stop it (connections refused) and
start it again on the same port, to play an SMTP outage.
"""

from __future__ import annotations

import email
import email.policy
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from email.message import EmailMessage

import pytest
from aiosmtpd.controller import Controller

from tests.support import free_port


@dataclass
class Received:
    """One accepted message: the envelope, the parsed message and when DATA was accepted."""

    mail_from: str
    rcpt_tos: list[str]
    message: EmailMessage
    raw: bytes
    accepted_at: float


@dataclass
class SmtpServer:
    """An aiosmtpd server on 127.0.0.1 that records what it accepts."""

    port: int = field(default_factory=free_port)
    host: str = "127.0.0.1"
    received: list[Received] = field(default_factory=list)
    refusal: tuple[int, str] | None = None  # answer instead of accepting
    refuse_at: str = "RCPT"  # or "DATA": refuse the message itself
    _controller: Controller | None = None
    _lock: threading.Lock = field(default_factory=threading.Lock)

    # aiosmtpd handler hooks ------------------------------------------------------------------
    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):
        if self.refusal is not None and self.refuse_at == "RCPT":
            code, text = self.refusal
            return f"{code} {text}"
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server, session, envelope):
        if self.refusal is not None and self.refuse_at == "DATA":
            code, text = self.refusal
            return f"{code} {text}"
        raw = envelope.original_content or envelope.content
        parsed = email.message_from_bytes(raw, policy=email.policy.default)
        with self._lock:
            self.received.append(Received(envelope.mail_from, list(envelope.rcpt_tos), parsed, raw, time.time()))
        return "250 Message accepted for delivery"

    # control -----------------------------------------------------------------------------------
    def start(self) -> None:
        """Listen (again) on the same port."""
        if self._controller is None:
            self._controller = Controller(self, hostname=self.host, port=self.port)
            self._controller.start()

    def stop(self) -> None:
        """Stop listening: clients now get "connection refused"."""
        if self._controller is not None:
            self._controller.stop()
            self._controller = None

    def refuse(self, code: int, text: str = "refused by the test", at: str = "RCPT") -> None:
        """Answer every RCPT TO (or DATA) with `code` (4xx: try later; 5xx: permanent)."""
        self.refusal = (code, text)
        self.refuse_at = at

    def accept(self) -> None:
        self.refusal = None

    @property
    def messages(self) -> list[EmailMessage]:
        with self._lock:
            return [r.message for r in self.received]

    def settings(self) -> dict:
        """App settings that send mail here (MAIL_SUPPRESS_SEND is on whenever TESTING is)."""
        return {"MAIL_SERVER": self.host, "MAIL_PORT": self.port, "MAIL_SUPPRESS_SEND": False, "MAIL_TIMEOUT": 5}


@pytest.fixture
def smtp_server() -> Iterator[SmtpServer]:
    """A running SMTP server on a free port; stopped after the test."""
    server = SmtpServer()
    server.start()
    yield server
    server.stop()
