"""Build /api/openapi.json from the same pydantic schemas that validate requests and serialize answers."""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any, Literal

from pydantic import BaseModel

from ..schemas.errors import ErrorOut

PATH_PARAM = re.compile(r"<(?:([a-z]+):)?([a-z_]+)>")
CONVERTER_TYPES = {"int": "integer", "float": "number"}


@dataclass
class Operation:
    method: str
    rule: str
    summary: str
    body: type[BaseModel] | None
    query: type[BaseModel] | None
    response: type[BaseModel] | None
    many: bool
    status: int


OPERATIONS: list[Operation] = []


def _openapi_path(rule: str) -> str:
    return PATH_PARAM.sub(r"{\2}", rule)


def _ref(model: type[BaseModel], schemas: dict[str, Any], mode: Literal["validation", "serialization"]) -> dict:
    # Answers are described as serialized (aliases such as "from", computed fields), bodies as validated.
    schema = model.model_json_schema(ref_template="#/components/schemas/{model}", by_alias=True, mode=mode)
    for name, sub in schema.pop("$defs", {}).items():
        schemas[name] = sub
    schemas[model.__name__] = schema
    return {"$ref": f"#/components/schemas/{model.__name__}"}


def _query_schema(prop: dict[str, Any]) -> dict[str, Any]:
    """A query field's schema without pydantic's null branch and title: an absent parameter is the null."""
    prop = {k: v for k, v in prop.items() if k != "title" and not (k == "default" and v is None)}
    options = [option for option in prop.pop("anyOf", []) if option != {"type": "null"}]
    return prop | (options[0] if len(options) == 1 else {"anyOf": options} if options else {})


def _parameters(op: Operation) -> list[dict[str, Any]]:
    params = [
        {"name": name, "in": "path", "required": True, "schema": {"type": CONVERTER_TYPES.get(conv, "string")}}
        for conv, name in PATH_PARAM.findall(op.rule)
    ]
    if op.query is not None:
        schema = op.query.model_json_schema()
        for name, prop in schema["properties"].items():
            prop = _query_schema(prop)
            description = prop.pop("description", None)
            param = {"name": name, "in": "query", "required": name in schema.get("required", []), "schema": prop}
            params.append(param | ({"description": description} if description else {}))
    return params


def _operation(op: Operation, schemas: dict[str, Any]) -> dict[str, Any]:
    error = {"content": {"application/json": {"schema": _ref(ErrorOut, schemas, "serialization")}}}
    out: dict[str, Any] = {"summary": op.summary}
    if params := _parameters(op):
        out["parameters"] = params
    if op.body is not None:
        content = {"application/json": {"schema": _ref(op.body, schemas, "validation")}}
        out["requestBody"] = {"required": True, "content": content}
    out["responses"] = {}
    if op.response is not None:
        schema = _ref(op.response, schemas, "serialization")
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
