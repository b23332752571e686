"""A private PostgreSQL schema per run, so parallel test runs and benchmarks never share rows."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from contextlib import contextmanager

import sqlalchemy as sa


@contextmanager
def private_schema(url: str, prefix: str = "vb_test") -> Iterator[str]:
    """Create a fresh schema on the server at `url`, yield a DATABASE_URL that uses it, then drop it.

    The search_path rides in the URL, so subprocesses (workers, gunicorn) given it see the same schema.
    """
    base = url.split("?")[0]
    schema = f"{prefix}_{uuid.uuid4().hex[:10]}"
    admin = sa.create_engine(base.replace("postgresql://", "postgresql+psycopg://", 1))
    with admin.begin() as conn:
        conn.execute(sa.text(f"CREATE SCHEMA {schema}"))
    try:
        yield f"{base}?options=-csearch_path%3D{schema}"
    finally:
        with admin.begin() as conn:
            conn.execute(sa.text(f"DROP SCHEMA {schema} CASCADE"))
        admin.dispose()
