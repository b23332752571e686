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


def callback_url(path: str, **query: object) -> str:
    """A callback URL for TwiML answered in a webhook: under PUBLIC_BASE_URL, else the host Twilio reached."""
    return public_url(path, **query) or request.host_url.rstrip("/") + path + (f"?{urlencode(query)}" if query else "")
