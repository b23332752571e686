"""Fixtures for the attacker's-eye tests: a TLS listener that records what reaches it."""

from __future__ import annotations

import ssl
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field

import pytest
import trustme
from werkzeug.serving import make_server
from werkzeug.wrappers import Request, Response


@dataclass
class Listener:
    """A real HTTPS server on 127.0.0.1 that answers `body` as `content_type` and records every request."""

    body: bytes = b"<html><script>alert(1)</script></html>"
    content_type: str = "text/html"
    seen: list[dict] = field(default_factory=list)

    def start(self, tls: ssl.SSLContext | None) -> None:
        self._server = make_server("127.0.0.1", 0, self._wsgi, threaded=True, ssl_context=tls)
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)
        self._thread.start()

    @property
    def port(self) -> int:
        return self._server.server_port

    @property
    def authorizations(self) -> list[str]:
        return [h["Authorization"] for h in self.seen if "Authorization" in h]

    def stop(self) -> None:
        self._server.shutdown()
        self._thread.join(5)

    @Request.application
    def _wsgi(self, request: Request) -> Response:
        self.seen.append(dict(request.headers))
        return Response(self.body, content_type=self.content_type)


@pytest.fixture
def tls_listener(tmp_path, monkeypatch) -> Iterator[Listener]:
    """An HTTPS listener whose certificate requests trusts, as an attacker's real certificate would be."""
    ca = trustme.CA()
    cert = ca.issue_cert("127.0.0.1", "localhost")
    server_ctx = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    cert.configure_cert(server_ctx)
    bundle = tmp_path / "ca.pem"
    ca.cert_pem.write_to_path(str(bundle))
    monkeypatch.setenv("REQUESTS_CA_BUNDLE", str(bundle))
    listener = Listener()
    listener.start(server_ctx)
    yield listener
    listener.stop()


@pytest.fixture
def http_listener() -> Iterator[Listener]:
    """A plain-HTTP listener, e.g. a stand-in media host configured as TWILIO_API_BASE_URL."""
    listener = Listener()
    listener.start(None)
    yield listener
    listener.stop()
