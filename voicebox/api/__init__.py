"""/api: the bearer-token JSON API. Routes live in one module per resource."""

from __future__ import annotations

import hmac
from collections.abc import Callable
from typing import Any, TypeVar

from flask import Blueprint, current_app, jsonify, request
from pydantic import BaseModel, ValidationError

from ..ints import MAX_ID, parse_int
from .errors import ApiError, from_validation_error
from .openapi import OPERATIONS, Operation, document

bp = Blueprint("api", __name__, url_prefix="/api")
M = TypeVar("M", bound=BaseModel)


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


@bp.errorhandler(ApiError)
def api_error(exc: ApiError):
    return exc.response()


@bp.errorhandler(ValidationError)
def validation_error(exc: ValidationError):
    return from_validation_error(exc).response()


def operation(
    method: str,
    rule: str,
    summary: str,
    *,
    body: type[BaseModel] | None = None,
    response: type[BaseModel] | None = None,
    many: bool = False,
    status: int = 200,
    query: tuple[str, ...] = (),
) -> Callable:
    """Register an API route and describe it in the OpenAPI document."""
    OPERATIONS.append(Operation(method, rule, summary, body, response, many, status, query))

    def decorate(view: Callable) -> Callable:
        bp.add_url_rule(rule, view_func=view, methods=[method])
        return view

    return decorate


def parse_body(model: type[M]) -> M:
    """Validate the JSON body against `model`; a bad body is a 400 naming the field."""
    try:
        data: Any = request.get_json(silent=True)
    except RecursionError:  # nested deeper than the JSON parser goes: no object of ours is like that
        data = None
    if not isinstance(data, dict):
        raise ApiError(400, "invalid_json", "the request body must be a JSON object")
    return model.model_validate(data)


def query_int(name: str, default: int | None = None, lo: int = 1, hi: int = MAX_ID) -> int | None:
    """An optional whole-number query parameter; anything else is a 400 naming it."""
    raw = request.args.get(name)
    if raw is None:
        return default
    try:
        return parse_int(raw, lo, hi)
    except ValueError as exc:
        raise ApiError(400, "validation_error", f"{name}: {exc}", name) from exc


def not_found(what: str) -> ApiError:
    return ApiError(404, "not_found", f"{what} not found")


@bp.get("/openapi.json")
def openapi():
    return jsonify(document())


from . import mailboxes, messages, optouts, sequences, voicemails  # noqa: E402,F401  (register their routes)
