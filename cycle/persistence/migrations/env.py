"""Alembic environment: runs on the connection ``cycle.persistence.db.upgrade`` passes in."""

from __future__ import annotations

from alembic import context
from sqlmodel import SQLModel

import cycle.persistence.tables  # noqa: F401  (registers the tables)

connection = context.config.attributes.get("connection")
if connection is None:  # pragma: no cover - only for `alembic revision --autogenerate`
    from cycle.persistence.db import make_engine

    url = context.config.get_main_option("sqlalchemy.url") or "sqlite:///var/alembic.db"
    connection = make_engine(url).connect()

context.configure(
    connection=connection,
    target_metadata=SQLModel.metadata,
    render_as_batch=True,
    compare_type=True,
)
with context.begin_transaction():
    context.run_migrations()
