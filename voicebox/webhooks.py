"""Twilio webhook plumbing: signature checks and absolute callback URLs."""

from __future__ import annotations

import functools
import logging
from collections.abc import Callable
from urllib.parse import urlencode

from flask import abort, current_app, request
from twilio.request_validator import SIGNATURE_SETTINGS_HEADER, RequestValidator, get_signature_algorithm

log = logging.getLogger(__name__)


class BadWebhook(ValueError):
    """A webhook request we cannot act on (a missing or malformed parameter): answered 400."""


def public_url(path: str, **query: object) -> str:
    """An absolute URL for a callback path, built from PUBLIC_BASE_URL (else this request's host)."""
    base = current_app.config.get("PUBLIC_BASE_URL") or request.host_url
    url = base.rstrip("/") + path
    if query:
        url += "?" + urlencode(query)
    return url


def signed_url() -> str:
    """The URL Twilio signed: PUBLIC_BASE_URL + path + query when set, else the URL we were asked for.

    Behind ngrok or a reverse proxy the request's own URL is not the one Twilio used,
    so the public base URL is what makes validation work there.
    """
    base = current_app.config.get("PUBLIC_BASE_URL")
    if not base:
        return request.url
    query = request.query_string.decode()
    return base.rstrip("/") + request.path + (f"?{query}" if query else "")


def signature_is_valid() -> bool:
    """Check X-Twilio-Signature over the signed URL and every POSTed value.

    The whole multi-dict is signed: Twilio signs each value of a repeated key, and a flat dict
    would keep only the first, so a request with repeated keys would be rejected.
    A request carrying X-Twilio-Webhooks-Signature-Settings (Twilio's shared-key signing, in
    beta) is checked with that shared key's secret and the algorithm it names.
    """
    signature = request.headers.get("X-Twilio-Signature", "")
    if not signature:
        return False
    settings = request.headers.get(SIGNATURE_SETTINGS_HEADER)
    secret, algorithm = _signing_secret(settings)
    if secret is None:
        return False
    return RequestValidator(secret).validate(signed_url(), request.form, signature, algorithm)


def _signing_secret(settings: str | None) -> tuple[str | None, str | None]:
    """The secret and algorithm a request was signed with: the auth token, or a named shared key."""
    if not settings:
        return current_app.config["TWILIO_AUTH_TOKEN"], None
    key_id = next(
        (part.partition("=")[2].strip() for part in settings.split(",") if part.strip().startswith("key=")), ""
    )
    secret = (current_app.config.get("TWILIO_WEBHOOK_SHARED_KEYS") or {}).get(key_id)
    if secret is None:
        log.warning("webhook signed with shared key %r, which TWILIO_WEBHOOK_SHARED_KEYS does not hold", key_id)
    return secret, get_signature_algorithm(settings)


def twilio_signed(view: Callable) -> Callable:
    """Reject a request whose Twilio signature is missing or wrong with 403, and log it."""

    @functools.wraps(view)
    def wrapper(*args, **kwargs):
        if not signature_is_valid():
            log.warning(
                "rejected %s %s: %s X-Twilio-Signature (validated against %s)",
                request.method,
                request.path,
                "wrong" if request.headers.get("X-Twilio-Signature") else "missing",
                signed_url(),
            )
            abort(403)
        return view(*args, **kwargs)

    return wrapper
