"""Error pages by audience: JSON under /api, TwiML for Twilio's routes, HTML elsewhere.

Also the JSON error itself (`ApiError`), which the API, the CLI and future pages share.
"""

from __future__ import annotations

import logging
from typing import Any

from flask import Flask, Response, jsonify, request
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
    return exc


def _unexpected(exc: Exception):
    db.session.rollback()
    log.exception("unhandled error on %s %s", request.method, request.path)
    if request.path.startswith("/api/"):
        return ApiError(500, "internal_error", "internal error; see the server log").response()
    if request.path.startswith(TWILIO_PREFIXES):
        return Response(VoiceResponse().to_xml(), status=500, mimetype="text/xml")
    return InternalServerError()
