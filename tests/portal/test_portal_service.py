"""The portal's commands through ``app.bus.handle`` with a contact principal (real SQLite)."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from cycle.bootstrap import App, bootstrap
from cycle.errors import Forbidden, UsageError
from cycle.service import commands as c
from cycle.service.principal import Principal, Role
from tests.conftest import Run
from tests.portal.conftest import KALTENMOOR

NOW = "2026-12-03T08:00"
BERLIN = ZoneInfo("Europe/Berlin")
CONTACT = Principal(KALTENMOOR, Role.TRAEGER, pairings=frozenset({"kaltenmoor"}), via="Portal")


@pytest.fixture
def app(workspace: Path, zyklus: Run) -> Iterator[App]:
    assert zyklus("init", now=NOW).code == 0
    for pairing in ("kaltenmoor", "bockelsberg"):
        assert (
            zyklus(
                "schedule",
                pairing,
                "2026",
                "auswertungsgespraech",
                "--at",
                "2026-12-10T10:00",
                now=NOW,
            ).code
            == 0
        )
    made = bootstrap(str(workspace / "config.toml"), NOW, {})
    yield made
    made.close()


def at(day: int, hour: int = 10) -> datetime:
    return datetime(2026, 12, day, hour, tzinfo=BERLIN)


@pytest.mark.parametrize(
    "pairing", ["bockelsberg", "alle", "kaltenmoor,bockelsberg", "gibt-es-nicht"]
)
def test_a_contact_cannot_answer_for_another_pairing(app: App, pairing: str):
    for command in (
        c.ConfirmMeeting(pairing, 2026, "auswertungsgespraech", at=at(10)),
        c.ProposeDates(pairing, 2026, "auswertungsgespraech", dates=(at(17),)),
        c.Submit(pairing, 2026, "jahresbericht", upload=c.Upload("b.pdf", b"%PDF")),
    ):
        with pytest.raises((Forbidden, UsageError)) as refused:
            app.bus.handle(command, CONTACT)
        assert "Caritas" not in str(refused.value)


def test_a_contact_may_not_revoke_or_schedule(app: App):
    for command in (
        c.RevokePortal(KALTENMOOR),
        c.Schedule("kaltenmoor", 2026, "auswertungsgespraech", at=at(11)),
    ):
        with pytest.raises(Forbidden):
            app.bus.handle(command, CONTACT)


def test_proposals_are_one_to_three_future_dates_and_not_for_the_fachtag(app: App):
    base = ("kaltenmoor", 2026, "auswertungsgespraech")
    with pytest.raises(UsageError, match="einen bis 3"):
        app.bus.handle(c.ProposeDates(*base, dates=tuple(at(d) for d in (14, 15, 16, 17))), CONTACT)
    with pytest.raises(UsageError, match="einen bis 3"):
        app.bus.handle(c.ProposeDates(*base, dates=()), CONTACT)
    with pytest.raises(UsageError, match="Zukunft"):
        app.bus.handle(c.ProposeDates(*base, dates=(at(1),)), CONTACT)
    with pytest.raises(UsageError, match="für alle Partnerschaften"):
        app.bus.handle(c.ProposeDates("kaltenmoor", 2026, "fachtag", dates=(at(17),)), CONTACT)
    outcome = app.bus.handle(c.ProposeDates(*base, dates=(at(17), at(17), at(18))), CONTACT)
    assert outcome.cycle_changes[0].detail["vorschlaege"] == [
        "2026-12-17T10:00:00+01:00",
        "2026-12-18T10:00:00+01:00",
    ]
