"""/api/optouts: who must not be texted; manual changes are logged like keyword ones."""

from __future__ import annotations

from ..errors import ApiError
from ..jobs.optouts import queue_cancel
from ..models.optouts import OptOut
from ..schemas.common import normalise_e164
from ..schemas.optouts import OptInQuery, OptOutEventOut, OptOutIn, OptOutOut, OptOutQuery
from ..services import optouts
from . import not_found, operation


def _with_history(row: OptOut) -> OptOutOut:
    """The number's state with its history (kept in its own table, so not on the row)."""
    out = OptOutOut.model_validate(row)
    out.history = [OptOutEventOut.model_validate(event) for event in optouts.history(row.number)]
    return out


def _current(number: str) -> OptOut:
    row = optouts.get(number)
    if row is None:
        raise not_found(f"opt-out for {number}")
    return row


def _number(raw: str) -> str:
    try:
        return normalise_e164(raw)
    except ValueError as exc:
        raise ApiError(400, "validation_error", f"number: {exc}", "number") from exc


@operation(
    "GET",
    "/optouts",
    "Numbers that opted out (all=1: every number ever seen)",
    query=OptOutQuery,
    response=OptOutOut,
    many=True,
)
def list_optouts(query: OptOutQuery):
    return [_with_history(row) for row in optouts.list_optouts(only_current=not query.all)]


@operation("POST", "/optouts", "Opt a number out by hand", body=OptOutIn, response=OptOutOut, status=201)
def create_optout(body: OptOutIn):
    if optouts.set_opted_out(body.number, True, "api", body.note):
        queue_cancel(body.number)
    return _with_history(_current(body.number))


@operation("DELETE", "/optouts/<number>", "Opt a number back in by hand", query=OptInQuery, response=OptOutOut)
def delete_optout(number: str, query: OptInQuery):
    number = _number(number)
    _current(number)
    optouts.set_opted_out(number, False, "api", query.note)
    return _with_history(_current(number))
