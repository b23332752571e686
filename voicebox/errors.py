"""Error pages by audience: JSON under /api, TwiML for Twilio's routes, HTML elsewhere."""

from __future__ import annotations

import logging

from flask import Flask, Response, request
from twilio.twiml.voice_response import VoiceResponse
from werkzeug.exceptions import HTTPException, InternalServerError

from .api.errors import ApiError
from .extensions import db

log = logging.getLogger(__name__)
TWILIO_PREFIXES = ("/voice/", "/sms/", "/conversations/")


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
