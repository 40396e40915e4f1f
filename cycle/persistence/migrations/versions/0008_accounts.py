"""accounts: set-password links, single sign-on attempts, the SSO subject of a user

Revision ID: 0008_accounts
Revises: 0007_masterdata_in_database
Create Date: 2026-12-07
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op

revision: str = "0008_accounts"
down_revision: str | None = "0007_masterdata_in_database"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_INSTANT = sqlmodel.sql.sqltypes.UTCDateTime
_TEXT = sqlmodel.sql.sqltypes.AutoString


def upgrade() -> None:
    with op.batch_alter_table("users", schema=None) as batch_op:
        batch_op.add_column(sa.Column("sso_subject", _TEXT(), nullable=True))
        batch_op.create_unique_constraint(batch_op.f("uq_users_sso_subject"), ["sso_subject"])
    op.create_table(
        "password_token",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("token_hash", _TEXT(), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("created_at", _INSTANT(), nullable=False),
        sa.Column("expires_at", _INSTANT(), nullable=False),
        sa.Column("used_at", _INSTANT(), nullable=True),
        sa.Column("revoked_at", _INSTANT(), nullable=True),
        sa.Column("outbox_id", sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(
            ["user_id"], ["users.id"], name=op.f("fk_password_token_user_id_users")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_password_token")),
        sa.UniqueConstraint("token_hash", name=op.f("uq_password_token_token_hash")),
    )
    with op.batch_alter_table("password_token", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_password_token_user_id"), ["user_id"], unique=False)
        batch_op.create_index(
            batch_op.f("ix_password_token_outbox_id"), ["outbox_id"], unique=False
        )
    op.create_table(
        "sso_attempt",
        sa.Column("id", _TEXT(), nullable=False),
        sa.Column("browser", _TEXT(), nullable=False),
        sa.Column("nonce", _TEXT(), nullable=False),
        sa.Column("verifier", _TEXT(), nullable=False),
        sa.Column("weiter", _TEXT(), nullable=False),
        sa.Column("created_at", _INSTANT(), nullable=False),
        sa.Column("expires_at", _INSTANT(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_sso_attempt")),
    )
    with op.batch_alter_table("sso_attempt", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_sso_attempt_expires_at"), ["expires_at"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("sso_attempt", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_sso_attempt_expires_at"))
    op.drop_table("sso_attempt")
    with op.batch_alter_table("password_token", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_password_token_outbox_id"))
        batch_op.drop_index(batch_op.f("ix_password_token_user_id"))
    op.drop_table("password_token")
    with op.batch_alter_table("users", schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f("uq_users_sso_subject"), type_="unique")
        batch_op.drop_column("sso_subject")
