"""master data in the database: Meta[masterdata_version]

From this version the database holds the master data (SPEC §16): ``zyklus init`` imports the
config's only while the database has none. An installation that already has master data keeps
it as the truth; its version (a token that changes with every change) is recorded here, and the old
fingerprint of the config (``masterdata_fingerprint``) is dropped.

Revision ID: 0007_masterdata_in_database
Revises: 0006_audit_klartext
Create Date: 2026-12-07
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from cycle.persistence import masterdata_store

revision: str = "0007_masterdata_in_database"
down_revision: str | None = "0006_audit_klartext"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

META = sa.table("meta", sa.column("key", sa.String), sa.column("value", sa.String))


def upgrade() -> None:
    connection = op.get_bind()
    connection.execute(sa.delete(META).where(META.c.key == "masterdata_fingerprint"))
    if masterdata_store.load(connection):
        version = masterdata_store.new_version()
        connection.execute(sa.delete(META).where(META.c.key == masterdata_store.VERSION_KEY))
        connection.execute(sa.insert(META).values(key=masterdata_store.VERSION_KEY, value=version))


def downgrade() -> None:
    connection = op.get_bind()
    connection.execute(sa.delete(META).where(META.c.key == masterdata_store.VERSION_KEY))
