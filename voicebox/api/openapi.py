"""Build /api/openapi.json from the same pydantic schemas that validate requests."""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from pydantic import BaseModel

from .errors import ErrorOut


@dataclass
class Operation:
    method: str
    rule: str
    summary: str
    body: type[BaseModel] | None
    response: type[BaseModel] | None
    many: bool
    status: int
    query: tuple[str, ...]


OPERATIONS: list[Operation] = []


def _openapi_path(rule: str) -> str:
    return re.sub(r"<(?:[a-z]+:)?([a-z_]+)>", r"{\1}", rule)


def _ref(model: type[BaseModel], schemas: dict[str, Any]) -> dict[str, str]:
    schema = model.model_json_schema(ref_template="#/components/schemas/{model}", by_alias=True)
    for name, sub in schema.pop("$defs", {}).items():
        schemas[name] = sub
    schemas[model.__name__] = schema
    return {"$ref": f"#/components/schemas/{model.__name__}"}


def _operation(op: Operation, schemas: dict[str, Any]) -> dict[str, Any]:
    error = {"content": {"application/json": {"schema": _ref(ErrorOut, schemas)}}}
    out: dict[str, Any] = {"summary": op.summary, "responses": {}}
    params = [
        {"name": n, "in": "path", "required": True, "schema": {"type": "string"}}
        for n in re.findall(r"<(?:[a-z]+:)?([a-z_]+)>", op.rule)
    ]
    params += [{"name": n, "in": "query", "required": False, "schema": {"type": "string"}} for n in op.query]
    if params:
        out["parameters"] = params
    if op.body is not None:
        out["requestBody"] = {"required": True, "content": {"application/json": {"schema": _ref(op.body, schemas)}}}
    if op.response is not None:
        schema = _ref(op.response, schemas)
        if op.many:
            schema = {"type": "object", "properties": {"items": {"type": "array", "items": schema}}}
        out["responses"][str(op.status)] = {"description": "OK", "content": {"application/json": {"schema": schema}}}
    else:
        out["responses"][str(op.status)] = {"description": "No content"}
    for status in ("400", "401", "404", "409"):
        out["responses"][status] = {"description": "Error", **error}
    return out


def document() -> dict[str, Any]:
    """The OpenAPI 3.1 document for every registered operation."""
    schemas: dict[str, Any] = {}
    paths: dict[str, dict[str, Any]] = {}
    for op in OPERATIONS:
        paths.setdefault("/api" + _openapi_path(op.rule), {})[op.method.lower()] = _operation(op, schemas)
    return {
        "openapi": "3.1.0",
        "info": {"title": "voicebox admin API", "version": "1"},
        "components": {
            "schemas": schemas,
            "securitySchemes": {"bearer": {"type": "http", "scheme": "bearer"}},
        },
        "security": [{"bearer": []}],
        "paths": paths,
    }
