"""audit head: the last published anchor, sealed (SPEC §9, issue 18)

Revision ID: 0004_audit_published
Revises: 0003_portal
Create Date: 2026-12-01
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op


revision: str = "0004_audit_published"
down_revision: str | None = "0003_portal"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("audit_head", schema=None) as batch_op:
        batch_op.add_column(sa.Column("published_count", sa.Integer(), nullable=True))
        batch_op.add_column(
            sa.Column("published_hash", sqlmodel.sql.sqltypes.AutoString(), nullable=True)
        )
        batch_op.add_column(
            sa.Column("published_seal", sqlmodel.sql.sqltypes.AutoString(), nullable=True)
        )


def downgrade() -> None:
    with op.batch_alter_table("audit_head", schema=None) as batch_op:
        batch_op.drop_column("published_seal")
        batch_op.drop_column("published_hash")
        batch_op.drop_column("published_count")
