"""audit_klartext: the clear values behind the pseudonyms of the audit log (SPEC §9, §18)

New entries hash a pseudonym for each personal value; the clear value lives here, outside the
chain, so that deletion keeps the log verifiable. Existing entries stay as written until
``zyklus audit umstellen`` converts the chain (docs/operations.md); they verify as before.

Revision ID: 0006_audit_klartext
Revises: 0005_links_at_delivery
Create Date: 2026-12-07
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op

revision: str = "0006_audit_klartext"
down_revision: str | None = "0005_links_at_delivery"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "audit_klartext",
        sa.Column("pseudonym", sqlmodel.sql.sqltypes.AutoString(), nullable=False),
        sa.Column("entry_id", sa.Integer(), nullable=False),
        sa.Column("pairing_id", sqlmodel.sql.sqltypes.AutoString(), nullable=True),
        sa.Column("year", sa.Integer(), nullable=True),
        sa.Column("salt", sqlmodel.sql.sqltypes.AutoString(), nullable=False),
        sa.Column("value", sqlmodel.sql.sqltypes.AutoString(), nullable=False),
        sa.PrimaryKeyConstraint("pseudonym", name=op.f("pk_audit_klartext")),
    )
    with op.batch_alter_table("audit_klartext", schema=None) as batch_op:
        batch_op.create_index("ix_audit_klartext_cycle", ["pairing_id", "year"], unique=False)
        batch_op.create_index(
            batch_op.f("ix_audit_klartext_entry_id"), ["entry_id"], unique=False
        )


def downgrade() -> None:
    op.drop_table("audit_klartext")
