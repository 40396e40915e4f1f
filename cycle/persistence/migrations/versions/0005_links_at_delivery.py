"""links at delivery: portal_token.outbox_id; live links removed from stored mails

Portal login links are minted as a message is delivered (SPEC §14 "Who sees a link"). Mails
stored before held live links: each one is replaced by the placeholder and its token revoked
(anyone who could read the outbox may have copied it). A pending message addressed To one
address with no Cc names it, so it gets a fresh link when it is sent (if the address is still a
contact); any other placeholder becomes the portal's address at delivery.

Revision ID: 0005_links_at_delivery
Revises: 0004_audit_published
Create Date: 2026-12-02
"""

import hashlib
import re
from collections.abc import Sequence
from typing import Any

import sqlalchemy as sa
import sqlmodel
from alembic import op

from cycle.clock import SystemClock

revision: str = "0005_links_at_delivery"
down_revision: str | None = "0004_audit_published"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

PLACEHOLDER = "[persönlicher Zugangslink]"
LIVE = re.compile(r"https?://[^\s\"'<>]*/portal/anmelden/([A-Za-z0-9_-]+)")
BATCH = 500


def upgrade() -> None:
    with op.batch_alter_table("portal_token", schema=None) as batch_op:
        batch_op.add_column(sa.Column("outbox_id", sa.Integer(), nullable=True))
        batch_op.create_index(batch_op.f("ix_portal_token_outbox_id"), ["outbox_id"], unique=False)
    _scrub(op.get_bind())


def downgrade() -> None:
    with op.batch_alter_table("portal_token", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_portal_token_outbox_id"))
        batch_op.drop_column("outbox_id")


def _scrub(connection: sa.Connection) -> None:
    outbox = sa.table(
        "outbox", sa.column("id", sa.Integer), sa.column("status"), sa.column("payload", sa.JSON)
    )
    tokens = sa.table(
        "portal_token",
        sa.column("token_hash"),
        sa.column("used_at", sqlmodel.sql.sqltypes.UTCDateTime()),
        sa.column("revoked_at", sqlmodel.sql.sqltypes.UTCDateTime()),
    )
    now = SystemClock().now()  # a migration gets no application clock (``--now``)
    last = 0
    while True:
        rows = connection.execute(
            sa.select(outbox.c.id, outbox.c.status, outbox.c.payload)
            .where(outbox.c.id > last)
            .where(sa.cast(outbox.c.payload, sa.Text).like("%/portal/anmelden/%"))
            .order_by(outbox.c.id)
            .limit(BATCH)
        ).all()
        if not rows:
            return
        for ident, status, payload in rows:
            found: set[str] = set()
            cleaned = _cleaned(payload, status, found)
            connection.execute(
                sa.update(outbox).where(outbox.c.id == ident).values(payload=cleaned)
            )
            if found:
                hashes = [hashlib.sha256(t.encode()).hexdigest() for t in sorted(found)]
                connection.execute(
                    sa.update(tokens)
                    .where(tokens.c.token_hash.in_(hashes))
                    .where(tokens.c.used_at.is_(None))
                    .where(tokens.c.revoked_at.is_(None))
                    .values(revoked_at=now)
                )
        last = rows[-1][0]


def _cleaned(payload: dict[str, Any], status: str, found: set[str]) -> dict[str, Any]:
    def sub(value: object) -> object:
        if not isinstance(value, str):
            return value

        def hide(match: re.Match[str]) -> str:
            found.add(match[1])
            return PLACEHOLDER

        return LIVE.sub(hide, value)

    cleaned = {**payload, "text": sub(payload.get("text")), "html": sub(payload.get("html"))}
    to, cc = payload.get("to") or [], payload.get("cc") or []
    if status in ("pending", "ungewiss") and len(to) == 1 and not cc:
        address = str(to[0])
        match = re.search(r"<([^<>]+)>\s*$", address)
        cleaned["zugangslink"] = (match[1] if match else address).strip().lower()
    return cleaned
