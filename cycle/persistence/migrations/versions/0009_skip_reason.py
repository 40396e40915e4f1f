"""skip reason: notification.reason

A notification is recorded as skipped not only by the catch-up rule: a reminder or escalation
held while a required stage waits for the city, a meeting mail whose meeting has begun, a task
mail whose task is done. ``reason`` says why (NULL: catch-up, as before).

Revision ID: 0009_skip_reason
Revises: 0008_accounts
Create Date: 2026-12-07
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel  # noqa: F401
from alembic import op

revision: str = "0009_skip_reason"
down_revision: str | None = "0008_accounts"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("notification", schema=None) as batch_op:
        batch_op.add_column(sa.Column("reason", sa.String(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("notification", schema=None) as batch_op:
        batch_op.drop_column("reason")
