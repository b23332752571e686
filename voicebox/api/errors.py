"""The JSON API's one error shape: {"error": {"code", "message", "field"?}}."""

from __future__ import annotations

from typing import Any

from flask import jsonify
from pydantic import BaseModel, ValidationError


class ApiError(Exception):
    """An error answered as JSON with an HTTP status."""

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


class ErrorBody(BaseModel):
    code: str
    message: str
    field: str | None = None


class ErrorOut(BaseModel):
    error: ErrorBody
