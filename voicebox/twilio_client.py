"""The Twilio REST client, built lazily from settings, talking to TWILIO_API_BASE_URL."""

from __future__ import annotations

from urllib.parse import urlsplit

from flask import current_app
from twilio.base.exceptions import TwilioException
from twilio.http.http_client import TwilioHttpClient
from twilio.http.response import Response
from twilio.rest import Client

DEFAULT_API_BASE_URL = "https://api.twilio.com"


def rebase_url(url: str, base_url: str) -> str:
    """Point a twilio.com REST URL at `base_url`, keeping its path and query."""
    if not base_url or base_url.rstrip("/") == DEFAULT_API_BASE_URL:
        return url
    parts = urlsplit(url)
    return base_url.rstrip("/") + parts.path + (f"?{parts.query}" if parts.query else "")


class BaseUrlHttpClient(TwilioHttpClient):
    """twilio-python's HTTP client, sending every request to another host (a Twilio-compatible
    provider, or the Prism mock in tests) instead of *.twilio.com."""

    def __init__(self, base_url: str = DEFAULT_API_BASE_URL, timeout: float = 15, **kwargs) -> None:
        super().__init__(timeout=timeout, **kwargs)
        self.base_url = base_url

    def request(self, method: str, url: str, *args, **kwargs) -> Response:
        return super().request(method, rebase_url(url, self.base_url), *args, **kwargs)


class TwilioNotConfigured(TwilioException):
    """No Twilio account is configured: voicebox runs in local try-out mode (see `configured()`).

    A TwilioException, so every caller that already handles Twilio being unreachable handles this too.
    """

    def __init__(self) -> None:
        super().__init__(NOT_CONFIGURED)


NOT_CONFIGURED = (
    "Twilio credentials not set: set TWILIO_ACCOUNT_SID and TWILIO_AUTH_TOKEN in .env "
    "(or run ./scripts/run in a terminal), then restart"
)


def configured() -> bool:
    """False in local try-out mode: no TWILIO_ACCOUNT_SID, so the auth token is a local one that only
    signs simulated webhooks, and nothing can reach Twilio's REST API."""
    return bool(current_app.config.get("TWILIO_ACCOUNT_SID"))


def credentials() -> tuple[str, str]:
    """(account SID, auth token) for Twilio's REST API and media; raises TwilioNotConfigured."""
    if not configured():
        raise TwilioNotConfigured()
    return current_app.config["TWILIO_ACCOUNT_SID"], current_app.config["TWILIO_AUTH_TOKEN"]


def get_client() -> Client:
    """The app's Twilio client, created on first use (never at import time).

    Raises TwilioNotConfigured in local try-out mode.
    """
    client = current_app.extensions.get("twilio_client")
    if client is None:
        cfg = current_app.config
        sid, token = credentials()
        # Tests may hand in their own HttpClient (e.g. one that records requests) via TWILIO_HTTP_CLIENT.
        http_client = cfg.get("TWILIO_HTTP_CLIENT") or BaseUrlHttpClient(cfg["TWILIO_API_BASE_URL"])
        client = Client(sid, token, http_client=http_client)
        current_app.extensions["twilio_client"] = client
    return client
