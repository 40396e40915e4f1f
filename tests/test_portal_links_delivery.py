"""Portal links minted at delivery (issue 18 item 1): a real aiosmtpd sink, real SQLite, the CLI.

The stored mail holds ``[persönlicher Zugangslink]``; the link is minted when the message is
handed to the server, so a message sent twice carries two different links, and the earlier one
stops working. A migration takes live links out of mails stored before.
"""

from __future__ import annotations

import asyncio
import json
import mailbox
import re
import sqlite3
from email import policy
from email.parser import BytesParser
from pathlib import Path

import httpx
from alembic import command
from alembic.config import Config
from sqlalchemy import Engine

from cycle.bootstrap import App, bootstrap
from cycle.persistence import db, portal_store
from cycle.persistence.uow import transaction
from cycle.server.app import create_app
from tests.conftest import Run
from tests.smtp_sink import SmtpSink
from tests.smtp_sink import smtp_sink as smtp_sink  # the fixture
from tests.test_outbox_ungewiss import NOW, _short_data_timeout
from tests.test_service import _ready, wait_until
from tests.test_tick_support import FIRST_TICK, body, message_ids, outbox, tick

LINK = re.compile(r"/portal/anmelden/([A-Za-z0-9_-]+)")
PLACEHOLDER = "[persönlicher Zugangslink]"


def _app(workspace: Path, now: str) -> App:
    return bootstrap(str(workspace / "config.toml"), now, {"ZYKLUS_WEB_SECRET": "x" * 32})


async def _weiter(app: App, token: str) -> httpx.Response:
    """Open the link and press ``Weiter`` on the real ASGI app."""
    transport = httpx.ASGITransport(app=create_app(app))
    async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as client:
        page = await client.get(f"/portal/anmelden/{token}")
        field = re.search(r'name="csrftoken" value="([^"]+)"', page.text)
        return await client.post(
            f"/portal/anmelden/{token}", data={"csrftoken": field[1] if field else ""}
        )


def _logs_in(workspace: Path, now: str, token: str) -> bool:
    app = _app(workspace, now)
    try:
        answer = asyncio.run(_weiter(app, token))
    finally:
        app.close()
    return answer.status_code == 303 and answer.headers["location"] == "/portal/"


def test_a_retried_message_carries_a_new_link_and_the_earlier_one_no_longer_works(
    zyklus: Run, workspace: Path, smtp_sink: SmtpSink
) -> None:
    _ready(zyklus, workspace, smtp_sink)
    _short_data_timeout(workspace)
    # The weekly overview goes first (due since Monday); the next message, a reminder to one
    # contact, is kept by the server, but its 250 comes too late: it is sent once more.
    smtp_sink.handler.stalls = [0.0, 3.0]
    tick(zyklus, NOW)
    (row,) = outbox(zyklus, NOW, "ungewiss")
    assert row["kind"] == "erinnerung"
    wait_until(lambda: len(smtp_sink.messages) == FIRST_TICK, "the late message to be stored")
    assert tick(zyklus, "2026-03-03T09:06")["sent"] == 1  # the one retry, same Message-ID
    copies = [m for m in smtp_sink.messages if str(m.message["Message-ID"]) == row["message_id"]]
    assert len(copies) == 2 and len(set(message_ids(smtp_sink.messages))) == FIRST_TICK
    first, second = (set(LINK.findall(body(m))) for m in copies)
    assert len(first) == len(second) == 1 and first != second
    assert [len(m.message["To"].addresses) for m in copies] == [1, 1]
    assert not _logs_in(workspace, "2026-03-03T09:10", first.pop())
    assert _logs_in(workspace, "2026-03-03T09:10", second.pop())


def test_the_link_is_minted_when_the_message_is_sent_and_expires_from_then(
    zyklus: Run, workspace: Path, smtp_sink: SmtpSink
) -> None:
    _ready(zyklus, workspace, smtp_sink)
    assert tick(zyklus, NOW, "--no-deliver")["enqueued"] == FIRST_TICK
    with sqlite3.connect(workspace / "var" / "zyklus.db") as db:
        assert db.execute("SELECT count(*) FROM portal_token").fetchone() == (0,)
        stored = [json.loads(p) for (p,) in db.execute("SELECT payload FROM outbox")]
    assert sum(PLACEHOLDER in p["text"] for p in stored) == FIRST_TICK - 1  # not the digest
    assert not any("/portal/anmelden/" in json.dumps(p) for p in stored)
    assert tick(zyklus, "2026-03-05T10:00")["sent"] == FIRST_TICK  # delivered two days later
    with sqlite3.connect(workspace / "var" / "zyklus.db") as db:
        rows = db.execute("SELECT created_at, expires_at, outbox_id FROM portal_token").fetchall()
    assert len(rows) == FIRST_TICK - 1 and len({r[2] for r in rows}) == FIRST_TICK - 1
    assert {r[0][:16] for r in rows} == {"2026-03-05 09:00"}  # UTC: when it was sent
    assert {r[1][:10] for r in rows} == {"2026-03-19"}  # 14 days from then
    [mail] = [m for m in smtp_sink.messages if "a.reimers@" in str(m.message["To"])]
    [token] = set(LINK.findall(body(mail)))
    assert _logs_in(workspace, "2026-03-18T10:00", token)
    assert not _logs_in(workspace, "2026-03-18T10:01", token)  # once


def _downgrade(engine: Engine, revision: str) -> None:
    config = Config()
    config.set_main_option("script_location", str(db.MIGRATIONS))
    with engine.begin() as connection:
        config.attributes["connection"] = connection
        command.downgrade(config, revision)


def test_the_migration_takes_live_links_out_of_stored_mails_and_revokes_them(
    zyklus: Run, workspace: Path
) -> None:
    """A database from before links were minted at delivery: a sent mail and a pending one
    with live links in their text; after ``init`` (the upgrade) neither shows one."""
    assert zyklus("init", now="2026-01-05T09:00").code == 0
    app = _app(workspace, "2026-03-03T08:00")
    try:
        _downgrade(app.engine, "0007_masterdata_in_database")  # 0008, 0009 come back at init
        with transaction(app.engine) as session:
            sent = portal_store.mint(
                session, app.settings, "a.reimers@stadt-lueneburg.example.org", "login", app.now()
            )
            waiting = portal_store.mint(
                session, app.settings, "j.ohlsen@stadt-lueneburg.example.org", "login", app.now()
            )
    finally:
        app.close()
    assert sent and waiting
    database = workspace / "var" / "zyklus.db"
    with sqlite3.connect(database) as db:
        for ident, (status, token, to) in enumerate(
            [
                ("sent", sent, "Anja Reimers <a.reimers@stadt-lueneburg.example.org>"),
                ("pending", waiting, "Jan Ohlsen <j.ohlsen@stadt-lueneburg.example.org>"),
            ],
            start=1,
        ):
            url = f"http://127.0.0.1:8000/portal/anmelden/{token}"
            payload = {
                "sender": "stadtteilarbeit@stadt-lueneburg.example.org",
                "to": [to],
                "cc": [],
                "subject": "Erinnerung",
                "text": f"Guten Tag,\nPersönlicher Link:\n{url}\n",
                "html": f'<p><a href="{url}">{url}</a></p>',
                "message_id": f"<{ident}@stadt-lueneburg.example.org>",
                "date": "2026-03-03T08:00:00+01:00",
                "attachments": [],
            }
            db.execute(
                'INSERT INTO outbox (id, message_id, kind, "to", subject, payload, status, '
                "attempts, next_attempt_at, refused, created_at) VALUES (?, ?, 'erinnerung', ?, "
                "'Erinnerung', ?, ?, 0, '2026-03-03 07:00:00.000000', '{}', "
                "'2026-03-03 07:00:00.000000')",
                (ident, payload["message_id"], to, json.dumps(payload), status),
            )
        db.execute("DROP TABLE audit_klartext")  # 0006 came later
        db.execute("UPDATE alembic_version SET version_num = '0004_audit_published'")
        db.execute("DROP INDEX ix_portal_token_outbox_id")
        db.execute("ALTER TABLE portal_token DROP COLUMN outbox_id")
    assert zyklus("init", now="2026-03-03T08:00").code == 0
    with sqlite3.connect(database) as db:
        payloads = [json.loads(p) for (p,) in db.execute("SELECT payload FROM outbox ORDER BY id")]
        revoked = db.execute("SELECT count(*) FROM portal_token WHERE revoked_at IS NOT NULL")
        assert revoked.fetchone() == (2,)
    for payload in payloads:
        assert "/portal/anmelden/" not in json.dumps(payload)
        assert payload["text"].count(PLACEHOLDER) == 1 and payload["html"].count(PLACEHOLDER) == 2
    assert "zugangslink" not in payloads[0]  # sent: stays as it is
    assert payloads[1]["zugangslink"] == "j.ohlsen@stadt-lueneburg.example.org"
    assert not _logs_in(workspace, "2026-03-03T08:05", sent)
    # the pending one gets a new link of its own when it is delivered
    assert zyklus("tick", now="2026-03-03T08:05").code == 0
    box = mailbox.Maildir(workspace / "var" / "mail", create=False)
    parser = BytesParser(policy=policy.default)
    [delivered] = [
        m
        for m in (parser.parsebytes(box.get_bytes(k)) for k in box.iterkeys())
        if m["Message-ID"] == "<2@stadt-lueneburg.example.org>"
    ]
    text = delivered.get_body(("plain",)).get_content()
    [token] = LINK.findall(text)
    assert token != waiting and PLACEHOLDER not in text
    assert not _logs_in(workspace, "2026-03-03T08:06", waiting)
    assert _logs_in(workspace, "2026-03-03T08:06", token)
