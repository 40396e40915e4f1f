"""The service layer without the CLI: every state-changing command through ``handle()``.

A year of one pairing is played command by command with a principal; the audit log is asserted
as an ordered sequence; refusals are typed (field, code, German message) and change nothing; a
Träger contact's principal is confined to its pairings and to what SPEC §15 lets it do.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import date, datetime
from pathlib import Path
from typing import Any

import pytest
from sqlmodel import Session, col, select

from cycle.bootstrap import App
from cycle.clock import BERLIN, SteppingClock
from cycle.config import load
from cycle.errors import Forbidden, Refused, UsageError
from cycle.persistence import personal
from cycle.persistence.tables import AuditEntry, Cycle, StageState
from cycle.service import commands as c
from cycle.service.outcomes import Outcome
from cycle.service.principal import Principal, Role
from tests.test_tick_support import FIRST_TICK

DATA = Path(__file__).parent / "data" / "documents"
KOORD = Principal.operator("k.meyer")
P = "kaltenmoor"


@pytest.fixture
def app(workspace: Path) -> App:
    settings = load(workspace / "config.toml", {})
    instance = App(settings, SteppingClock(datetime(2026, 1, 5, 9, 0, tzinfo=BERLIN)), {})
    instance.bus.handle(c.SyncMasterData(), KOORD)
    yield instance
    instance.close()


def at(app: App, text: str) -> None:
    assert isinstance(app.clock, SteppingClock)
    app.clock.set(datetime.fromisoformat(text).replace(tzinfo=BERLIN))


def stage(app: App, pairing: str, stage_id: str, year: int = 2026) -> StageState:
    with Session(app.engine) as session:
        return session.exec(
            select(StageState)
            .join(Cycle)
            .where(Cycle.pairing_id == pairing, Cycle.year == year, StageState.stage_id == stage_id)
        ).one()


def audit_rows(app: App, after: int = 0) -> list[tuple[str, str | None, str | None, str | None]]:
    with Session(app.engine) as session:
        entries = session.exec(
            select(AuditEntry).where(col(AuditEntry.id) > after).order_by(col(AuditEntry.id))
        ).all()
    return [(e.action, e.stage_id, e.before, e.after) for e in entries if e.pairing_id == P]


def last_audit_id(app: App) -> int:
    with Session(app.engine) as session:
        return max(session.exec(select(col(AuditEntry.id))).all())


def snapshot(app: App) -> tuple[Any, ...]:
    with Session(app.engine) as session:
        states = session.exec(select(StageState).order_by(col(StageState.id))).all()
        return (
            [(s.status, s.due, s.done_on, s.scheduled_at, s.facts) for s in states],
            len(session.exec(select(AuditEntry)).all()),
        )


def upload(name: str) -> c.Upload:
    return c.Upload(name, (DATA / name).read_bytes())


def test_a_whole_year_of_one_pairing_goes_through_handle_with_an_ordered_audit(app: App):
    start = last_audit_id(app)
    where = (P, 2026)
    at(app, "2026-02-10T09:00")
    scheduled = app.bus.handle(
        c.Schedule(*where, "auftaktgespraech", at=datetime(2026, 3, 10, 10, tzinfo=BERLIN)), KOORD
    )
    assert [(ch.before, ch.after, ch.queued) for ch in scheduled.changes] == [
        ("offen", "terminiert", 1)
    ]
    at(app, "2026-03-10T12:00")
    protocol = c.Upload("protokoll.txt", b"Protokoll des Auftaktgespraechs")
    held = app.bus.handle(
        c.Complete(*where, "auftaktgespraech", evidence=protocol, participants=("A. B, C. D",)),
        KOORD,
    )
    assert held.changes[0].day == date(2026, 3, 10)
    assert held.changes[0].detail["anzahl_teilnehmende"] == 2
    app.bus.handle(c.Extend(*where, "fachtag", until=date(2026, 10, 30), reason="Umbau"), KOORD)
    assert stage(app, P, "fachtag").due == date(2026, 10, 30)
    at(app, "2026-06-18T16:00")
    app.bus.handle(c.Complete(P, 2026, "fachtag"), KOORD)
    at(app, "2026-11-20T16:00")
    app.bus.handle(c.Complete(*where, "auswertungsgespraech"), KOORD)
    at(app, "2026-12-01T09:00")
    report = app.bus.handle(
        c.Submit(*where, "jahresbericht", upload=upload("jahresbericht-2026.md")), KOORD
    )
    assert report.queued == 1  # the receipt
    app.bus.handle(c.Return(*where, "jahresbericht", reason="Abschnitt 3.4 knapp"), KOORD)
    app.bus.handle(c.Submit(*where, "jahresbericht", upload=upload("jahresbericht-2026.md")), KOORD)
    app.bus.handle(c.Accept(*where, "jahresbericht"), KOORD)
    at(app, "2027-05-25T09:00")
    vn = app.bus.handle(
        c.Submit(*where, "verwendungsnachweis", upload=upload("verwendungsnachweis-2026.toml")),
        KOORD,
    )
    assert "Kostensumme 98.000,00 €" in vn.notes[0].message
    # four eyes: k.meyer entered the proof, a colleague checks it (``[policy] vier_augen``)
    app.bus.handle(c.Check(*where, "verwendungsnachweis"), Principal.operator("j.schulz"))
    app.bus.handle(
        c.Acknowledge(*where, "verwendungsnachweis"),
        Principal("s.leitung", Role.STABSSTELLENLEITUNG),
    )
    app.bus.handle(c.File(*where, "verwendungsnachweis"), Principal("ablage", Role.ABLAGE))
    app.bus.handle(c.Note(P, 2026, None, "Zyklus vollständig."), KOORD)

    queued = "benachrichtigung_eingereiht"
    assert audit_rows(app, start) == [
        ("schedule", "auftaktgespraech", "offen", "terminiert"),
        (queued, "auftaktgespraech", None, "einladung"),
        ("complete", "auftaktgespraech", "terminiert", "durchgefuehrt"),
        ("extend", "fachtag", "offen", "offen"),
        ("complete", "fachtag", "offen", "durchgefuehrt"),
        ("complete", "auswertungsgespraech", "offen", "durchgefuehrt"),
        ("submit", "jahresbericht", "offen", "eingereicht"),
        (queued, "jahresbericht", None, "eingangsbestaetigung"),
        ("return", "jahresbericht", "eingereicht", "zurueckgegeben"),
        ("submit", "jahresbericht", "zurueckgegeben", "eingereicht"),
        (queued, "jahresbericht", None, "eingangsbestaetigung"),
        ("accept", "jahresbericht", "eingereicht", "angenommen"),
        ("submit", "verwendungsnachweis", "offen", "eingereicht"),
        (queued, "verwendungsnachweis", None, "eingangsbestaetigung"),
        ("check", "verwendungsnachweis", "eingereicht", "geprueft"),
        (queued, "verwendungsnachweis", None, "aufgabe"),  # zur Kenntnisnahme
        ("acknowledge", "verwendungsnachweis", "geprueft", "zur_kenntnis_genommen"),
        (queued, "verwendungsnachweis", None, "aufgabe"),  # zum Vorgang
        ("file", "verwendungsnachweis", "zur_kenntnis_genommen", "abgelegt"),
        ("notiz", None, None, None),
    ]
    with Session(app.engine) as session:
        actors = [
            e.actor
            for e in personal.resolved(
                session,
                session.exec(
                    select(AuditEntry).where(col(AuditEntry.action).in_(["acknowledge", "file"]))
                ),
            )
        ]
    assert actors == ["s.leitung", "ablage"]


def test_waive_correct_and_the_end_with_a_successor_go_through_the_state_machine(app: App):
    at(app, "2026-03-02T09:00")
    app.bus.handle(c.Complete(P, 2026, "auftaktgespraech", on=date(2026, 2, 27)), KOORD)
    fixed = app.bus.handle(
        c.Correct(P, 2026, "auftaktgespraech", reason="Tippfehler", on=date(2026, 2, 26)), KOORD
    )
    assert fixed.changes[0].after == "durchgefuehrt"
    assert stage(app, P, "auftaktgespraech").done_on == date(2026, 2, 26)
    reopened = app.bus.handle(
        c.Correct(P, 2026, "auftaktgespraech", reason="falsche Partnerschaft", reopen=True), KOORD
    )
    assert (reopened.changes[0].before, reopened.changes[0].after) == ("durchgefuehrt", "offen")
    assert stage(app, P, "auftaktgespraech").done_on is None
    app.bus.handle(c.Waive(P, 2026, "fachtag", reason="Elternzeit"), KOORD)
    assert stage(app, P, "fachtag").status == "entfallen"

    app.bus.handle(
        c.Schedule(
            "bockelsberg", 2026, "auftaktgespraech", at=datetime(2026, 3, 20, 10, tzinfo=BERLIN)
        ),
        KOORD,
    )
    ended = app.bus.handle(
        c.End("bockelsberg", date(2026, 3, 2), "INSEK", successor="ebensberg"), KOORD
    )
    assert [cc.kind for cc in ended.cycle_changes] == ["beendet", "uebernommen"]
    taken = stage(app, "ebensberg", "auftaktgespraech")
    assert taken.status == "terminiert"
    assert taken.facts["uebernommen_von"] == "bockelsberg"
    with Session(app.engine) as session:
        handover = session.exec(select(AuditEntry).where(AuditEntry.action == "uebernehmen")).all()
    assert {(e.pairing_id, e.stage_id, e.before, e.after) for e in handover} >= {
        ("ebensberg", "auftaktgespraech", "offen", "terminiert")
    }


def test_a_refusal_is_typed_names_its_field_and_changes_nothing(app: App):
    at(app, "2026-03-02T09:00")
    before = snapshot(app)
    with pytest.raises(UsageError) as future:
        app.bus.handle(c.Complete(P, 2026, "auftaktgespraech", on=date(2026, 3, 3)), KOORD)
    [problem] = future.value.problems
    assert (problem.field, problem.code) == ("on", "in_der_zukunft")
    assert problem.message == "03.03.2026 liegt in der Zukunft (heute: 02.03.2026)."
    with pytest.raises(Refused) as early:
        app.bus.handle(c.Accept(P, 2026, "jahresbericht"), KOORD)
    assert "„annehmen“ ist im Status „offen“ nicht möglich" in early.value.problems[0].message
    for earlier in ("auftaktgespraech", "fachtag", "auswertungsgespraech", "jahresbericht"):
        app.bus.handle(c.Waive(P, 2026, earlier, reason="Test"), KOORD)
    before = snapshot(app)
    with pytest.raises(Refused) as cap:
        app.bus.handle(
            c.Submit(
                P, 2026, "verwendungsnachweis", upload=upload("verwendungsnachweis-fehlerhaft.toml")
            ),
            KOORD,
        )
    assert "verwaltungskosten" in cap.value.fields()
    assert snapshot(app) == before


def test_a_traeger_contact_is_confined_to_its_pairings_and_to_submitting(app: App):
    contact = Principal(
        "l.hoffmann@awo-lueneburg.example.org",
        Role.TRAEGER,
        pairings=frozenset({P}),
        via="Portal",
    )
    at(app, "2026-12-01T09:00")
    before = snapshot(app)
    report = upload("jahresbericht-2026.md")
    for other in ("bockelsberg", "gibt-es-nicht", f"{P},bockelsberg"):
        with pytest.raises(Forbidden) as refused:
            app.bus.handle(c.Submit(other, 2026, "jahresbericht", upload=report), contact)
        assert {p.code for p in refused.value.problems} == {"ausserhalb_des_zugriffs"}
    with pytest.raises(UsageError) as everyone:
        app.bus.handle(c.Submit("alle", 2026, "jahresbericht", upload=report), contact)
    assert "bockelsberg" not in str(everyone.value)
    with pytest.raises(Forbidden) as check:
        app.bus.handle(c.Check(P, 2026, "verwendungsnachweis"), contact)
    assert check.value.problems[0].code == "keine_berechtigung"
    with pytest.raises(Forbidden):
        app.bus.handle(
            c.Schedule("alle", 2026, "fachtag", at=datetime(2026, 12, 9, tzinfo=BERLIN)), contact
        )
    assert snapshot(app) == before
    # its own pairing: allowed, and the audit names the contact via the portal
    app.bus.handle(c.Complete(P, 2026, "auftaktgespraech"), KOORD)
    app.bus.handle(c.Complete(P, 2026, "fachtag"), KOORD)
    app.bus.handle(c.Complete(P, 2026, "auswertungsgespraech"), KOORD)
    done = app.bus.handle(c.Submit(P, 2026, "jahresbericht", upload=report), contact)
    assert done.changes[0].after == "eingereicht"
    with Session(app.engine) as session:
        found = session.exec(select(AuditEntry).where(AuditEntry.action == "submit")).one()
        entry = personal.resolved(session, [found])[0]
    assert entry.actor == "l.hoffmann@awo-lueneburg.example.org via Portal"


@pytest.mark.parametrize(
    ("role", "command"),
    [
        (Role.LESEND, c.Note(P, 2026, None, "nur lesen")),
        (Role.LESEND, c.Acknowledge(P, 2026, "verwendungsnachweis")),
        (Role.STABSSTELLENLEITUNG, c.Check(P, 2026, "verwendungsnachweis")),
        (Role.ABLAGE, c.Acknowledge(P, 2026, "verwendungsnachweis")),
        (Role.STABSSTELLENLEITUNG, c.RetryOutbox(all_failed=True)),
        (Role.LESEND, c.Tick()),
        (Role.ABLAGE, c.End(P, date(2026, 1, 5), "Ende")),
    ],
)
def test_roles_without_the_right_are_refused_before_anything_runs(
    app: App, role: Role, command: object
):
    before = snapshot(app)
    with pytest.raises(Forbidden) as refused:
        app.bus.handle(command, Principal("jemand", role))
    assert refused.value.problems[0].message.startswith("Keine Berechtigung: Als ")
    assert snapshot(app) == before


def test_a_traeger_principal_must_name_its_pairings():
    with pytest.raises(ValueError):
        Principal("x@example.org", Role.TRAEGER)


def test_tick_and_outbox_retry_are_commands_too(app: App):
    at(app, "2026-03-03T08:05")
    outcome = app.bus.handle(c.Tick(deliver=False), Principal.system())
    assert outcome.data["report"].enqueued == FIRST_TICK
    again = app.bus.handle(c.Tick(deliver=False), Principal.system())
    assert again.data["report"].enqueued == 0
    with pytest.raises(Refused) as unknown:
        app.bus.handle(c.RetryOutbox(message_id=10**6), KOORD)
    assert unknown.value.problems[0].code == "unbekannt"
    nothing = app.bus.handle(c.RetryOutbox(all_failed=True), KOORD)
    assert nothing == Outcome()


def test_commands_are_frozen_data():
    command = c.Waive(P, 2026, "fachtag", reason="x")
    with pytest.raises(AttributeError):
        command.reason = "y"  # type: ignore[misc]
    assert replace(command, reason="y").reason == "y"


def test_a_cycle_opened_by_mistake_is_cancelled_through_handle(app: App):
    cancelled = app.bus.handle(c.CancelCycle("ebensberg", 2026, "Irrtum"), KOORD)
    assert [cc.kind for cc in cancelled.cycle_changes] == ["storniert"]
    with pytest.raises(Refused):
        app.bus.handle(c.CancelCycle("ebensberg", 2026, "noch einmal"), KOORD)
    with pytest.raises(Forbidden):
        app.bus.handle(c.CancelCycle(P, 2026, "x"), Principal("l", Role.LESEND))


def test_dates_proposed_in_the_portal_appear_in_the_next_weekly_overview(app: App):
    from cycle.persistence.tables import OutboxMessage

    contact = Principal(
        "l.hoffmann@awo-lueneburg.example.org", Role.TRAEGER, frozenset({P}), via="Portal"
    )
    at(app, "2026-09-30T10:00")  # a Wednesday
    proposed = datetime(2026, 11, 10, 10, 0, tzinfo=BERLIN)
    app.bus.handle(
        c.ProposeDates(P, 2026, "auswertungsgespraech", dates=(proposed,), note="Dienstag"),
        contact,
    )
    at(app, "2026-10-05T08:05")  # Monday: the weekly overview
    app.bus.handle(c.Tick(deliver=False), Principal.system())
    with Session(app.engine) as session:
        [digest] = session.exec(
            select(OutboxMessage).where(OutboxMessage.kind == "wochenuebersicht")
        ).all()
    text = str(digest.payload["text"])
    assert "Terminvorschläge aus dem Portal (letzte 7 Tage):" in text
    assert "Kaltenmoor, Auswertungsgespräch (l.hoffmann@awo-lueneburg.example.org): " in text
    assert "10.11.2026, 10:00 Uhr" in text
