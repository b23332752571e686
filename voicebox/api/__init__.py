"""/api: the bearer-token JSON API. Routes live in one module per resource.

Each route is declared with `operation()`: it validates the JSON body and the query string against
pydantic models, serializes what the view returns (rows) through the response model, and describes
all of it in /api/openapi.json. /api/docs serves Swagger UI from the installed flask-swagger-ui.
"""

from __future__ import annotations

import functools
import hmac
from collections.abc import Callable
from typing import Any, TypeVar

from flask import Blueprint, Flask, current_app, jsonify, request
from flask_swagger_ui import get_swaggerui_blueprint
from pydantic import BaseModel, ValidationError

from ..errors import ApiError, from_validation_error
from ..services import Conflict, delivery
from ..services import mailboxes as mailbox_service
from ..services import messages as texts
from ..twilio_client import TwilioNotConfigured
from .openapi import OPERATIONS, Operation, document

bp = Blueprint("api", __name__, url_prefix="/api")
M = TypeVar("M", bound=BaseModel)
DOCS_URL = "/api/docs"


def init_app(app: Flask) -> None:
    """Register the API and its interactive documentation (Swagger UI's files come from the package)."""
    app.register_blueprint(bp)
    config = {"app_name": "voicebox admin API", "persistAuthorization": True}
    app.register_blueprint(get_swaggerui_blueprint(DOCS_URL, "/api/openapi.json", config, blueprint_name="api_docs"))


@bp.before_request
def require_token():
    if request.endpoint == "api.openapi":
        return None
    expected = current_app.config["VOICEBOX_API_TOKEN"]
    scheme, _, token = request.headers.get("Authorization", "").partition(" ")
    # An empty expected token (a config that bypassed load_config) must never match an empty header.
    if not expected or scheme.lower() != "bearer" or not hmac.compare_digest(token.strip().encode(), expected.encode()):
        raise ApiError(401, "unauthorized", "send Authorization: Bearer <VOICEBOX_API_TOKEN>")
    return None


# Every service exception the API answers, in one place.
@bp.errorhandler(ApiError)
def _api_error(exc: ApiError):
    return exc.response()


@bp.errorhandler(ValidationError)
def _validation_error(exc: ValidationError):
    return from_validation_error(exc).response()


@bp.errorhandler(Conflict)
def _conflict(exc: Conflict):
    return ApiError(409, "conflict", str(exc), exc.field).response()


@bp.errorhandler(mailbox_service.Invalid)
def _invalid_mailbox(exc: mailbox_service.Invalid):
    return ApiError(400, "validation_error", f"{exc.field}: {exc}", exc.field).response()


@bp.errorhandler(texts.InvalidInput)
def _invalid(exc: texts.InvalidInput):
    return ApiError(400, "validation_error", str(exc), exc.field).response()


@bp.errorhandler(texts.NotConfigured)
def _not_configured(exc: texts.NotConfigured):
    return ApiError(503, "not_configured", str(exc)).response()


@bp.errorhandler(texts.RecipientOptedOut)
def _opted_out(exc: texts.RecipientOptedOut):
    return ApiError(409, "recipient_opted_out", str(exc), "to").response()


@bp.errorhandler(delivery.NotCancelable)
def _not_cancelable(exc: delivery.NotCancelable):
    return ApiError(409, exc.code, str(exc)).response()


@bp.errorhandler(TwilioNotConfigured)
def _twilio_not_configured(exc: TwilioNotConfigured):
    return ApiError(503, "twilio_not_configured", str(exc)).response()


@bp.errorhandler(delivery.TwilioRefused)
def _twilio_refused(exc: delivery.TwilioRefused):
    return ApiError(502, "twilio_error", f"Twilio refused the request: {exc}").response()


def operation(
    method: str,
    rule: str,
    summary: str,
    *,
    body: type[BaseModel] | None = None,
    query: type[BaseModel] | None = None,
    response: type[BaseModel] | None = None,
    many: bool = False,
    status: int = 200,
) -> Callable:
    """Register an API route and describe it in the OpenAPI document.

    The view gets `body=` and `query=` as validated models when declared, and returns a row (or rows
    with `many`), optionally with a status; `response` serializes them. A bad body or query is a 400
    naming the field.
    """
    OPERATIONS.append(Operation(method, rule, summary, body, query, response, many, status))

    def decorate(view: Callable) -> Callable:
        @functools.wraps(view)
        def endpoint(**path: Any):
            if body is not None:
                path["body"] = parse_body(body)
            if query is not None:
                path["query"] = query.model_validate(request.args.to_dict())
            return _respond(view(**path), response, many, status)

        bp.add_url_rule(rule, view_func=endpoint, methods=[method])
        return view

    return decorate


def _respond(result: Any, response: type[BaseModel] | None, many: bool, status: int):
    if isinstance(result, tuple):
        result, status = result
    if response is None:
        return "", status
    if many:
        return jsonify(items=[_dump(response, row) for row in result]), status
    return jsonify(_dump(response, result)), status


def _dump(model: type[BaseModel], row: Any) -> dict[str, Any]:
    return model.model_validate(row).model_dump(mode="json", by_alias=True)


def parse_body(model: type[M]) -> M:
    """Validate the JSON body against `model`; a bad body is a 400 naming the field."""
    try:
        data: Any = request.get_json(silent=True)
    except RecursionError:  # nested deeper than the JSON parser goes: no object of ours is like that
        data = None
    if not isinstance(data, dict):
        raise ApiError(400, "invalid_json", "the request body must be a JSON object")
    return model.model_validate(data)


def not_found(what: str) -> ApiError:
    return ApiError(404, "not_found", f"{what} not found")


@bp.get("/openapi.json")
def openapi():
    return jsonify(document())


from . import mailboxes, messages, optouts, sequences, voicemails  # noqa: E402,F401  (register their routes)
