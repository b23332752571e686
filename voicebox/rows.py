"""Row helpers that stay correct when Twilio posts the same callback twice at the same moment."""

from __future__ import annotations

from typing import Any

from sqlalchemy.dialects import postgresql, sqlite

from .extensions import db


def insert_ignore(model: type, values: dict[str, Any], key: str) -> bool:
    """INSERT a row unless one with the same unique `key` exists (ON CONFLICT DO NOTHING).

    A read-then-insert would race when Twilio retries a slow webhook while the first try is still
    running; letting the database arbitrate gives exactly one row on SQLite and PostgreSQL alike.
    Returns True when this call inserted the row, False when it was already there.
    """
    dialect = db.session.get_bind().dialect.name
    insert = {"postgresql": postgresql.insert, "sqlite": sqlite.insert}[dialect]
    column = getattr(model, key)
    stmt = insert(model).values(values).on_conflict_do_nothing(index_elements=[key]).returning(column)
    # RETURNING, not rowcount: psycopg reports rowcount -1 for INSERT ... ON CONFLICT DO NOTHING.
    return db.session.execute(stmt).scalar() is not None
