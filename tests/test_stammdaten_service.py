"""Master data in the database (SPEC §16): ``plan`` and the ``stammdaten`` command through the bus.

A change is planned (neu / geändert / unverändert / beendet, old → new per field, problems at
record and field), applied in one transaction with one audit entry per record, and its effects
on the running year happen with it: a new pairing's cycle, an end through ``zyklus end``'s
logic, a contact change that ends the old contact's portal access and re-addresses unsent mail.
Refusals change nothing.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import replace
from datetime import date, datetime
from pathlib import Path

import pytest
from sqlmodel import Session, col, select

from cycle.bootstrap import App
from cycle.clock import BERLIN, SteppingClock
from cycle.config import load
from cycle.config.master_rules import RecordRef
from cycle.config.settings import Contact, MasterData, Pairing, Stadtteil, Traeger
from cycle.errors import Forbidden, Refused
from cycle.persistence import masterdata_store, personal, portal_store
from cycle.persistence.tables import AuditEntry, Cycle, OutboxMessage, PairingRow, StageState
from cycle.service import commands as c
from cycle.service.principal import Principal, Role
from cycle.service.stammdaten import Status, plan

KOORD = Principal.operator("k.meyer")
OLD = "l.hoffmann@awo-lueneburg.example.org"
NEW = Contact("Nora Neumann", "n.neumann@awo-lueneburg.example.org")


@pytest.fixture
def app(workspace: Path) -> Iterator[App]:
    settings = load(workspace / "config.toml", {})
    instance = App(settings, SteppingClock(datetime(2026, 3, 2, 9, 0, tzinfo=BERLIN)), {})
    instance.bus.handle(c.SyncMasterData(), KOORD)
    yield instance
    instance.close()


def stored(app: App) -> MasterData:
    with Session(app.engine) as session:
        return masterdata_store.load(session)


def audit_after(app: App, first: int) -> list[AuditEntry]:
    with Session(app.engine) as session:
        query = select(AuditEntry).where(col(AuditEntry.id) > first).order_by(col(AuditEntry.id))
        return personal.resolved(session, session.exec(query))  # clear values, as readers see them


def last_audit_id(app: App) -> int:
    with Session(app.engine) as session:
        return max(session.exec(select(col(AuditEntry.id))).all())


def with_pairing(master: MasterData, pairing: Pairing) -> MasterData:
    return replace(master, pairings={**master.pairings, pairing.id: pairing})


NEW_TRAEGER = Traeger(
    "paritaet", "Der Paritätische Lüneburg", "Anke Roth", "a.roth@paritaet.example.org"
)
NEW_STADTTEIL = Stadtteil("wilschenbruch", "Wilschenbruch")
NEW_PAIRING = Pairing(
    "wilschenbruch",
    "paritaet",
    "wilschenbruch",
    (NEW,),
    date(2026, 7, 1),
    angebot="Stadtteilarbeit",
)


def test_the_plan_lists_every_record_as_new_changed_unchanged_or_ended(app: App) -> None:
    current = stored(app)
    kaltenmoor = current.pairings["kaltenmoor"]
    desired = MasterData(
        {**current.traeger, "paritaet": NEW_TRAEGER},
        {**current.stadtteile, "wilschenbruch": NEW_STADTTEIL},
        {
            **current.pairings,
            "kaltenmoor": replace(kaltenmoor, contacts=(NEW,)),
            "wilschenbruch": NEW_PAIRING,
            "bockelsberg": replace(current.pairings["bockelsberg"], end=date(2026, 2, 28)),
        },
    )
    result = plan(current, desired, date(2026, 3, 2))
    by_id = {(r.kind, r.id): r for r in result.records}
    assert result.ok
    assert by_id["traeger", "paritaet"].status is Status.NEU
    assert by_id["pairing", "wilschenbruch"].status is Status.NEU
    assert (
        "Eröffnet den Zyklus 2026 (Beginn 01.07.2026)"
        in by_id["pairing", "wilschenbruch"].effects[0]
    )
    changed = by_id["pairing", "kaltenmoor"]
    assert changed.status is Status.GEAENDERT
    assert [(f.label, f.old, f.new) for f in changed.changes] == [
        (
            "Kontakte",
            f"Lena Hoffmann <{OLD}> (Stadtteilmanagement)",
            "Nora Neumann <n.neumann@awo-lueneburg.example.org> (Stadtteilmanagement)",
        )
    ]
    assert "Kontaktwechsel" in changed.effects[0]
    assert by_id["pairing", "bockelsberg"].status is Status.BEENDET
    assert by_id["traeger", "awo"].status is Status.UNVERAENDERT
    assert by_id["pairing", "innenstadt"].status is Status.UNVERAENDERT


def test_the_plan_reports_the_config_rules_at_record_and_field(app: App) -> None:
    current = stored(app)
    overlapping = replace(current.pairings["kaltenmoor"], id="kaltenmoor-2", start=date(2026, 1, 1))
    bad = replace(NEW_PAIRING, traeger="unbekannt", contacts=(Contact("X", "kein-at"),))
    desired = with_pairing(with_pairing(current, overlapping), bad)
    problems = {(p.location, p.message.split(" (")[0]) for p in plan(current, desired).problems}
    assert (
        RecordRef("pairing", "wilschenbruch", "traeger"),
        "unbekannter Träger „unbekannt“",
    ) in problems
    assert (
        RecordRef("pairing", "wilschenbruch", "contacts"),
        "„kein-at“ ist keine gültige E-Mail-Adresse",
    ) in problems
    overlap = [m for ref, m in problems if ref == RecordRef("pairing", "kaltenmoor-2")]
    assert overlap and overlap[0].startswith("überschneidet sich zeitlich mit „kaltenmoor“")


def test_a_new_pairing_is_stored_audited_and_gets_its_cycle_with_nothing_overdue(app: App) -> None:
    assert isinstance(app.clock, SteppingClock)
    app.clock.set(datetime(2026, 7, 15, 9, 0, tzinfo=BERLIN))
    first = last_audit_id(app)
    current = stored(app)
    desired = MasterData(
        {**current.traeger, "paritaet": NEW_TRAEGER},
        {**current.stadtteile, "wilschenbruch": NEW_STADTTEIL},
        {**current.pairings, "wilschenbruch": NEW_PAIRING},
    )
    with Session(app.engine) as session:
        version = masterdata_store.version(session)
    outcome = app.bus.handle(c.ApplyMasterData(desired, base_version=version), KOORD)
    assert outcome.data["opened"] == ["wilschenbruch"]
    assert stored(app).pairings["wilschenbruch"] == NEW_PAIRING
    entries = [(e.action, e.actor, e.after) for e in audit_after(app, first)]
    assert entries == [
        ("traeger_angelegt", "k.meyer", "paritaet"),
        ("stadtteil_angelegt", "k.meyer", "wilschenbruch"),
        ("pairing_angelegt", "k.meyer", "wilschenbruch"),
        ("zyklus_eroeffnet", "k.meyer", "offen"),
    ]
    assert json.loads(audit_after(app, first)[2].payload)["neu"]["start"] == "2026-07-01"
    app.refresh_master_data()
    assert "wilschenbruch" in app.settings.pairings
    from cycle.views import overview

    with app.engine.connect() as connection:
        rows = {
            r.pairing: r for r in overview.load(connection, app.settings, 2026, date(2026, 7, 15))
        }
    assert rows["kaltenmoor"].overdue  # its Auftaktgespräch was due on 31.03.
    assert not rows["wilschenbruch"].overdue  # due before its start on 01.07.


def test_a_refused_change_changes_nothing(app: App) -> None:
    first = last_audit_id(app)
    current = stored(app)
    bad = with_pairing(current, replace(NEW_PAIRING, traeger="unbekannt"))
    with pytest.raises(Refused) as refused:
        app.bus.handle(c.ApplyMasterData(bad), KOORD)
    assert refused.value.problems[0].field == "traeger"
    assert "unbekannter Träger „unbekannt“" in refused.value.problems[0].message
    stale = with_pairing(current, replace(NEW_PAIRING, traeger="awo", stadtteil="kaltenmoor"))
    with pytest.raises(Refused, match="inzwischen geändert"):
        app.bus.handle(c.ApplyMasterData(stale, base_version="veraltet"), KOORD)
    for role in (Role.LESEND, Role.STABSSTELLENLEITUNG, Role.ABLAGE):
        with pytest.raises(Forbidden):
            app.bus.handle(c.ApplyMasterData(bad), Principal("x", role))
    assert stored(app) == current
    assert audit_after(app, first) == []


def test_a_contact_change_ends_the_old_contacts_access_and_readdresses_unsent_mail(
    app: App,
) -> None:
    assert isinstance(app.clock, SteppingClock)
    app.clock.set(datetime(2026, 3, 4, 9, 0, tzinfo=BERLIN))  # 4 weeks before 31.03.
    app.bus.handle(c.Tick(deliver=False), Principal.system())  # reminders queued, not sent
    with Session(app.engine) as session:
        token = portal_store.mint(session, app.settings, OLD, portal_store.LOGIN, app.now())
        session.commit()
        queued = session.exec(
            select(OutboxMessage).where(col(OutboxMessage.to).contains(OLD))
        ).all()
    assert queued, "the tick queued mail to the old contact"
    current = stored(app)
    kaltenmoor = replace(current.pairings["kaltenmoor"], contacts=(NEW,))
    first = last_audit_id(app)
    app.bus.handle(c.ApplyMasterData(with_pairing(current, kaltenmoor)), KOORD)
    app.refresh_master_data()
    with Session(app.engine) as session:
        assert portal_store.peek(session, app.settings, token, app.now()) is None
        for message in queued:
            row = session.get(OutboxMessage, message.id)
            assert row is not None and OLD not in row.to and NEW.email in row.to
            assert OLD not in json.dumps(row.payload["to"])
    actions = [e.action for e in audit_after(app, first)]
    assert actions[0] == "pairing_geaendert"
    assert "portal_widerrufen" in actions
    assert actions.count("nachricht_umadressiert") == len(queued)


def test_an_end_today_goes_through_the_end_logic(app: App) -> None:
    current = stored(app)
    ended = replace(current.pairings["bockelsberg"], end=date(2026, 3, 1))
    app.bus.handle(
        c.ApplyMasterData(with_pairing(current, ended), reason="Vertrag gekündigt"), KOORD
    )
    with Session(app.engine) as session:
        row = session.get(PairingRow, "bockelsberg")
        assert row is not None and row.ended_on == date(2026, 3, 1)
        assert row.end_reason == "Vertrag gekündigt"
        cycle = session.exec(
            select(Cycle).where(Cycle.pairing_id == "bockelsberg", Cycle.year == 2026)
        ).one()
        assert cycle.ended_on == date(2026, 3, 1)
        assert session.exec(select(StageState).where(StageState.cycle_id == cycle.id)).all()


def test_a_hand_over_in_one_change_ends_the_pairing_and_the_successor_takes_over(app: App) -> None:
    app.bus.handle(
        c.Schedule(
            "kaltenmoor", 2026, "auftaktgespraech", at=datetime(2026, 3, 20, 10, tzinfo=BERLIN)
        ),
        KOORD,
    )
    current = stored(app)
    old = current.pairings["kaltenmoor"]
    successor = replace(old, id="kaltenmoor-neu", start=date(2026, 3, 2), contacts=(NEW,))
    desired = with_pairing(with_pairing(current, replace(old, end=date(2026, 3, 1))), successor)
    result = plan(current, desired, date(2026, 3, 2), {"kaltenmoor": "kaltenmoor-neu"})
    (ending,) = [r for r in result.records if (r.kind, r.id) == ("pairing", "kaltenmoor")]
    assert ending.status is Status.BEENDET
    assert "übergibt den laufenden Zyklus an „kaltenmoor-neu“" in ending.effects[0]
    app.bus.handle(
        c.ApplyMasterData(
            desired, reason="Trägerwechsel", successors=(("kaltenmoor", "kaltenmoor-neu"),)
        ),
        KOORD,
    )
    with Session(app.engine) as session:
        row = session.get(PairingRow, "kaltenmoor")
        assert row is not None and row.successor_id == "kaltenmoor-neu"
        taken = session.exec(
            select(StageState)
            .join(Cycle)
            .where(Cycle.pairing_id == "kaltenmoor-neu", Cycle.year == 2026)
            .where(StageState.stage_id == "auftaktgespraech")
        ).one()
    assert taken.status == "terminiert"  # the scheduled meeting moved to the successor
