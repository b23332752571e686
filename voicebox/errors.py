"""Error pages by audience: JSON under /api, TwiML for Twilio's routes, HTML elsewhere.

Also the JSON error itself (`ApiError`), which the API, the CLI and future pages share.
"""

from __future__ import annotations

import logging
from typing import Any

from flask import Flask, Response, jsonify, render_template, request
from flask_wtf.csrf import CSRFError
from pydantic import ValidationError
from twilio.twiml.voice_response import VoiceResponse
from werkzeug.exceptions import HTTPException, InternalServerError

from .extensions import db

log = logging.getLogger(__name__)
TWILIO_PREFIXES = ("/voice/", "/sms/", "/conversations/")


class ApiError(Exception):
    """An error answered as JSON (`schemas.errors.ErrorOut`) with an HTTP status."""

    def __init__(self, status: int, code: str, message: str, field: str | None = None) -> None:
        super().__init__(message)
        self.status, self.code, self.message, self.field = status, code, message, field

    def response(self):
        body: dict[str, Any] = {"code": self.code, "message": self.message}
        if self.field:
            body["field"] = self.field
        return jsonify(error=body), self.status


def from_validation_error(exc: ValidationError) -> ApiError:
    """The first problem pydantic found, naming its field (dotted path, e.g. `steps.0.at`)."""
    first = exc.errors()[0]
    field = ".".join(str(part) for part in first["loc"]) or None
    message = first["msg"].removeprefix("Value error, ")
    if first["type"] == "missing":
        message = "is required"
    elif first["type"] == "extra_forbidden":
        message = "is not a known field"
    return ApiError(400, "validation_error", f"{field}: {message}" if field else message, field)


def init_app(app: Flask) -> None:
    """Install the handlers."""
    app.register_error_handler(HTTPException, _http_error)
    app.register_error_handler(Exception, _unexpected)


def _http_error(exc: HTTPException):
    if request.path.startswith("/api/"):
        code = (exc.name or "error").lower().replace(" ", "_")
        return ApiError(exc.code or 500, code, exc.description or exc.name).response()
    if request.path.startswith(TWILIO_PREFIXES):
        # Twilio shows nobody an HTML page; valid (empty) TwiML keeps its debugger readable.
        return Response(VoiceResponse().to_xml(), status=exc.code, mimetype="text/xml")
    return html_error(exc)


def _unexpected(exc: Exception):
    db.session.rollback()
    log.exception("unhandled error on %s %s", request.method, request.path)
    if request.path.startswith("/api/"):
        return ApiError(500, "internal_error", "internal error; see the server log").response()
    if request.path.startswith(TWILIO_PREFIXES):
        return Response(VoiceResponse().to_xml(), status=500, mimetype="text/xml")
    return html_error(InternalServerError())


# What people read on an error page: a plain sentence, never a traceback or Werkzeug's wording.
PAGE_MESSAGES = {
    400: ("Something was wrong with that request", "Please go back, reload the page and try again."),
    403: ("Not allowed", "You do not have access to this page."),
    404: ("Not found", "There is nothing here: it may have been deleted, or it belongs to a mailbox you do not read."),
    405: ("Not allowed", "That page cannot be used this way."),
    410: ("Gone", "This link has expired."),
    413: ("Too large", "That was more than voicebox accepts."),
    500: ("Something went wrong", "voicebox hit an error; it has been logged. Please try again in a moment."),
    502: ("Twilio did not answer", "voicebox could not fetch this from Twilio. Please try again in a moment."),
}


def html_error(exc: HTTPException):
    """A friendly HTML page for people; the bare Werkzeug page only if our own template fails."""
    status = exc.code or 500
    title, message = PAGE_MESSAGES.get(status, (exc.name, exc.description or ""))
    if isinstance(exc, CSRFError):
        message = "The form had expired or came from another site. Please reload the page and try again."
    elif status in (410, 502) and exc.description and not exc.description.startswith(("The ", "A ")):
        message = exc.description  # our own abort(410, "This listen link has expired.")
    try:
        return render_template("web/error.html", title=title, message=message), status
    except Exception:  # noqa: BLE001  (a broken page must not hide the original error)
        log.exception("could not render the error page")
        return exc
