"""Absolute public URLs (Twilio callbacks, signed links in emails), all built from PUBLIC_BASE_URL."""

from __future__ import annotations

from urllib.parse import urlencode

from flask import current_app, request


def public_base() -> str | None:
    """PUBLIC_BASE_URL without a trailing slash; None when unset."""
    base = current_app.config.get("PUBLIC_BASE_URL")
    return base.rstrip("/") if base else None


def public_url(path: str, **query: object) -> str | None:
    """`path` (and `query`) under PUBLIC_BASE_URL; None when that is unset."""
    base = public_base()
    if base is None:
        return None
    return base + path + (f"?{urlencode(query)}" if query else "")


# Twilio's connection overrides (a URL fragment, "Webhooks (HTTP callbacks): Connection Overrides"):
# Twilio does not re-post a callback we answered 500 unless its URL asks, and the default retry
# count is 1. rc is at most 5, and all tries fit in tt <= 15 s, so these ride out a blip; a longer
# outage is what parked webhooks (voicebox/parked.py) are for.
RETRY_OVERRIDES = "rc=5&rp=ct,rt,5xx&tt=15000"


def callback_url(path: str, *, retry: bool = False, **query: object) -> str:
    """A callback URL for TwiML answered in a webhook: under PUBLIC_BASE_URL, else the host Twilio reached.

    `retry` appends RETRY_OVERRIDES, for callbacks no caller waits on (status, transcription).
    """
    url = public_url(path, **query) or request.host_url.rstrip("/") + path + (f"?{urlencode(query)}" if query else "")
    return f"{url}#{RETRY_OVERRIDES}" if retry else url
