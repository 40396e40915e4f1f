"""The stored version of the master data, read without loading the ORM tables.

Every command and every web request asks it (``App.refresh_master_data``): a Core query on
``meta``, so that a short command like ``zyklus status`` does not pay for importing the SQLModel
tables (``cycle.persistence.masterdata_store`` holds the rest).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from sqlalchemy import Connection, column, select, table

if TYPE_CHECKING:
    from sqlmodel import Session

VERSION_KEY = "masterdata_version"
# "<sha256 of the config file>:<version>": ``init`` found that file's master data equal to the
# database's at that version — a process started with the same file need not load them.
SEED_KEY = "masterdata_seed"
_META = table("meta", column("key"), column("value"))


def _meta(connection: Connection | Session, key: str) -> str | None:
    found = connection.execute(select(_META.c.value).where(_META.c.key == key))
    value = found.scalar_one_or_none()
    return str(value) if value is not None else None


def version(connection: Connection | Session) -> str | None:
    """The stored version; ``None`` while the database holds no master data (before ``init``)."""
    return _meta(connection, VERSION_KEY)


def seed_matches(connection: Connection | Session, file_digest: str, stored: str) -> bool:
    """The config file with this SHA-256 has the master data of version ``stored``."""
    return _meta(connection, SEED_KEY) == f"{file_digest}:{stored}"
