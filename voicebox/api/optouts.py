"""/api/optouts: who must not be texted; manual changes are logged like keyword ones."""

from __future__ import annotations

from flask import jsonify, request

from ..jobs.optouts import queue_cancel
from ..models.optouts import OptOut
from ..schemas.common import normalise_e164
from ..schemas.optouts import NOTE_MAX, OptOutIn, OptOutOut
from ..services import optouts
from . import not_found, operation, parse_body
from .errors import ApiError


def optout_json(row: OptOut) -> dict:
    """The API view of a number's opt-out state with its history."""
    return OptOutOut(
        number=row.number,
        opted_out=row.opted_out,
        source=row.source,
        changed_at=row.changed_at,
        history=[
            {"action": e.action, "source": e.source, "detail": e.detail, "at": e.created_at}
            for e in optouts.history(row.number)
        ],
    ).model_dump(mode="json")


def _number(raw: str) -> str:
    try:
        return normalise_e164(raw)
    except ValueError as exc:
        raise ApiError(400, "validation_error", f"number: {exc}", "number") from exc


@operation(
    "GET",
    "/optouts",
    "Numbers that opted out (all=1: every number ever seen)",
    response=OptOutOut,
    many=True,
    query=("all",),
)
def list_optouts():
    rows = optouts.list_optouts(only_current=request.args.get("all") not in ("1", "true"))
    return jsonify(items=[optout_json(row) for row in rows])


@operation("POST", "/optouts", "Opt a number out by hand", body=OptOutIn, response=OptOutOut, status=201)
def create_optout():
    data = parse_body(OptOutIn)
    if optouts.set_opted_out(data.number, True, "api", data.note):
        queue_cancel(data.number)
    return jsonify(optout_json(optouts.get(data.number))), 201


@operation("DELETE", "/optouts/<number>", "Opt a number back in by hand", response=OptOutOut)
def delete_optout(number: str):
    number = _number(number)
    if optouts.get(number) is None:
        raise not_found(f"opt-out for {number}")
    note = request.args.get("note")
    if note is not None and len(note) > NOTE_MAX:
        raise ApiError(400, "validation_error", f"note: at most {NOTE_MAX} characters", "note")
    optouts.set_opted_out(number, False, "api", note)
    return jsonify(optout_json(optouts.get(number)))
