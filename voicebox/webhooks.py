"""Twilio webhook plumbing: the route decorator, signature checks, form parsing and TwiML answers."""

from __future__ import annotations

import functools
import logging
from collections.abc import Callable

import phonenumbers
from flask import Blueprint, Response, abort, current_app, request
from twilio.request_validator import SIGNATURE_SETTINGS_HEADER, RequestValidator, get_signature_algorithm
from twilio.twiml import TwiML
from twilio.twiml.messaging_response import MessagingResponse

from .extensions import db
from .ints import parse_int
from .parked import REPLAYING, is_database_outage, park
from .urls import RETRY_OVERRIDES, public_base

log = logging.getLogger(__name__)


class BadWebhook(ValueError):
    """A webhook request we cannot act on (a missing or malformed parameter): answered 400."""


def signed_url() -> str:
    """The URL Twilio signed: PUBLIC_BASE_URL + path + query when set, else the URL we were asked for.

    Behind ngrok or a reverse proxy the request's own URL is not the one Twilio used,
    so the public base URL is what makes validation work there.
    """
    base = public_base()
    if not base:
        return request.url
    query = request.query_string.decode()
    return base + request.path + (f"?{query}" if query else "")


def signature_is_valid() -> bool:
    """Check X-Twilio-Signature over the signed URL and every POSTed value.

    The whole multi-dict is signed: Twilio signs each value of a repeated key, and a flat dict
    would keep only the first, so a request with repeated keys would be rejected.
    A request carrying X-Twilio-Webhooks-Signature-Settings (Twilio's shared-key signing, in
    beta) is checked with that shared key's secret and the algorithm it names.

    Twilio signs "the exact URL your application supplied". A URL we gave with connection overrides
    ends in a fragment, which HTTP never sends to us, and Twilio does not say whether its signature
    covers it; so the URL with the fragment we append (RETRY_OVERRIDES) is accepted too.
    """
    signature = request.headers.get("X-Twilio-Signature", "")
    if not signature:
        return False
    settings = request.headers.get(SIGNATURE_SETTINGS_HEADER)
    secret, algorithm = _signing_secret(settings)
    if secret is None:
        return False
    validator, url = RequestValidator(secret), signed_url()
    return any(
        validator.validate(candidate, request.form, signature, algorithm)
        for candidate in (url, f"{url}#{RETRY_OVERRIDES}")
    )


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


def xml(response: TwiML, status: int = 200) -> Response:
    """TwiML served as text/xml (a content type Twilio cannot process is its error 12300)."""
    return Response(response.to_xml(), status=status, mimetype="text/xml")


def webhook_route(
    bp: Blueprint,
    rule: str,
    bad_request: Callable[[], TwiML],
    on_error: Callable[[], tuple[TwiML, int]] | None = None,
):
    """Register a signed Twilio webhook on `bp` that always answers TwiML, never an HTML error page.

    A BadWebhook answers `bad_request()` with 400. When the database is unreachable the request is
    parked for replay (voicebox/parked.py) and answered 200 with `on_error()`'s TwiML (or an empty
    <Response/>). Anything else answers `on_error()` (TwiML, status) after a rollback; without
    `on_error` it reaches the app's error handler (an empty <Response/>, 500).
    """

    def decorate(view: Callable[[], TwiML]):
        @functools.wraps(view)
        def wrapper():
            try:
                return xml(view())
            except BadWebhook as exc:
                log.warning("bad %s webhook: %s", request.path, exc)
                return xml(bad_request(), 400)
            except Exception as exc:
                if is_database_outage(exc) and park():
                    db.session.rollback()
                    # Kept for replay: a 200 tells Twilio it is done. Callers still hear the fallback.
                    return xml(on_error()[0] if on_error else MessagingResponse())
                if on_error is None or request.environ.get(REPLAYING):
                    raise  # the app's handler answers 500 (and a replay stays parked)
                db.session.rollback()
                return xml(*on_error())  # called while handling, so it may log the traceback

        return bp.post(rule, endpoint=view.__name__)(twilio_signed(wrapper))

    return decorate


def required(name: str, max_length: int = 64) -> str:
    """A required, non-empty form parameter of sane length (Twilio's SIDs are 34 characters)."""
    value = request.form.get(name, "").strip()
    if not value:
        raise BadWebhook(f"missing parameter {name}")
    if len(value) > max_length:
        raise BadWebhook(f"{name} is longer than {max_length} characters")
    return value


def e164(name: str) -> str:
    """A required parameter that must be a valid E.164 phone number."""
    value = required(name)
    try:
        parsed = phonenumbers.parse(value, None)
    except phonenumbers.NumberParseException as exc:
        raise BadWebhook(f"{name} is not an E.164 number: {value!r}") from exc
    if not value.startswith("+") or not phonenumbers.is_possible_number(parsed):
        raise BadWebhook(f"{name} is not an E.164 number: {value!r}")
    return phonenumbers.format_number(parsed, phonenumbers.PhoneNumberFormat.E164)


def optional_int(name: str, maximum: int = 86_400) -> int | None:
    """An optional whole number from 0 to `maximum` (a day of seconds fits any recording)."""
    value = request.form.get(name, "").strip()
    if not value:
        return None
    try:
        return parse_int(value, 0, maximum)
    except ValueError:
        raise BadWebhook(f"{name} is not a whole number from 0 to {maximum}: {value[:20]!r}") from None


def optional_bool(name: str) -> bool | None:
    """An optional "true"/"false" parameter (any case); None when absent."""
    value = request.form.get(name, "").strip().lower()
    if not value:
        return None
    if value not in ("true", "false"):
        raise BadWebhook(f"{name} is not true or false: {value[:20]!r}")
    return value == "true"
