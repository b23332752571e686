"""Twilio webhook plumbing: signature checks and absolute callback URLs."""

from __future__ import annotations

import functools
import logging
from collections.abc import Callable
from urllib.parse import urlencode

from flask import abort, current_app, request
from twilio.request_validator import RequestValidator

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
    """Check X-Twilio-Signature over the signed URL and the POSTed form."""
    signature = request.headers.get("X-Twilio-Signature", "")
    if not signature:
        return False
    validator = RequestValidator(current_app.config["TWILIO_AUTH_TOKEN"])
    return validator.validate(signed_url(), request.form.to_dict(flat=True), signature)


# Twilio's identifiers, statuses and numbers are short (a SID is 34 characters, E.164 at most 16);
# longer ones are not Twilio's and would not fit our columns (PostgreSQL refuses, SQLite keeps them).
PARAM_MAX_LENGTH = {
    **dict.fromkeys(("ErrorCode", "OptOutType"), 16),
    **dict.fromkeys(("To", "Called"), 20),
    **dict.fromkeys(("CallStatus", "DialCallStatus", "RecordingStatus", "TranscriptionStatus"), 32),
    **dict.fromkeys(("MessageStatus", "SmsStatus", "Status"), 32),
    **dict.fromkeys(("From", "Caller", "EventType", "MessagingBinding.Address"), 64),
    "RecordingUrl": 500,
}


def form_problem() -> str | None:
    """Why the signed form cannot be Twilio's (NUL bytes, over-long identifiers), or None."""
    for name, value in request.form.items(multi=True):
        if "\x00" in value:  # PostgreSQL text cannot hold NUL, and Twilio never sends it
            return f"{name} contains a NUL character"
        limit = 34 if name.endswith("Sid") else PARAM_MAX_LENGTH.get(name)
        if limit is not None and len(value) > limit:
            return f"{name} is longer than {limit} characters"
    return None


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
        if problem := form_problem():
            log.warning("bad %s webhook: %s", request.path, problem)
            abort(400)
        return view(*args, **kwargs)

    return wrapper
