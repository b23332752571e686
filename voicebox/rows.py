"""Row helpers that stay correct when Twilio posts the same callback twice at the same moment."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, cast

from sqlalchemy import CursorResult, Delete, Update
from sqlalchemy.dialects import postgresql, sqlite

from .extensions import Base, db

_INSERTS: dict[str, Callable[[type[Base]], postgresql.Insert | sqlite.Insert]] = {
    "postgresql": postgresql.insert,
    "sqlite": sqlite.insert,
}


def insert_ignore(model: type[Base], values: dict[str, Any], key: str) -> bool:
    """INSERT a row unless one with the same unique `key` exists (ON CONFLICT DO NOTHING).

    A read-then-insert would race when Twilio retries a slow webhook while the first try is still
    running; letting the database arbitrate gives exactly one row on SQLite and PostgreSQL alike.
    Returns True when this call inserted the row, False when it was already there.
    """
    insert = _INSERTS[db.session.get_bind().dialect.name]
    column = getattr(model, key)
    stmt = insert(model).values(values).on_conflict_do_nothing(index_elements=[key]).returning(column)
    # RETURNING, not rowcount: psycopg reports rowcount -1 for INSERT ... ON CONFLICT DO NOTHING.
    return db.session.execute(stmt).scalar() is not None


def rowcount(stmt: Update | Delete) -> int:
    """Run an UPDATE or DELETE in the session and return how many rows its WHERE matched.

    The conditional UPDATEs that claim rows read this to learn whether they won. `Session.execute` is
    typed as returning a plain `Result`; for DML it is a `CursorResult`, which carries `rowcount`.
    """
    return cast(CursorResult[Any], db.session.execute(stmt)).rowcount
