"""The tick end to end (issue 3): reminders, escalations and catch-up on a real SMTP sink.

Every test runs the CLI in-process on a real SQLite file in ``tmp_path`` against a real aiosmtpd
server on 127.0.0.1.
"""

from __future__ import annotations

from datetime import datetime
from email.utils import parsedate_to_datetime
from pathlib import Path
from zoneinfo import ZoneInfo

from tests.conftest import Run
from tests.smtp_sink import SmtpSink
from tests.smtp_sink import smtp_sink as smtp_sink  # the fixture
from tests.test_tick_support import (
    FIRST_REMINDERS,
    FIRST_TICK,
    KOORDINIERUNGSSTELLE,
    PAIRINGS,
    STABSSTELLENLEITUNG,
    addresses,
    body,
    keys,
    message_ids,
    outbox,
    tick,
    use_smtp,
)

BERLIN = ZoneInfo("Europe/Berlin")
LEITUNG_AWO = "s.behrens@awo-lueneburg.example.org"


def _init(zyklus: Run, workspace: Path, sink: SmtpSink, now: str = "2026-01-05T09:00") -> None:
    use_smtp(workspace, sink.port)
    result = zyklus("init", now=now)
    assert result.code == 0, result.err


def test_the_tick_on_3_march_delivers_every_first_reminder_with_intact_umlauts(
    zyklus: Run, workspace: Path, smtp_sink: SmtpSink
) -> None:
    _init(zyklus, workspace, smtp_sink)
    report = tick(zyklus, "2026-03-03T08:05")
    assert report["enqueued"] == report["sent"] == FIRST_TICK  # + the weekly overview
    assert report["failed"] == report["deferred"] == report["skipped"] == 0

    received = smtp_sink.messages
    reminders = [m for m in received if "Auftaktgespräch" in str(m.message["Subject"])]
    assert len(reminders) == FIRST_REMINDERS
    overview = [m for m in received if m not in reminders]
    assert len(overview) == 1 and str(overview[0].message["Subject"]).startswith("Wochenübersicht")
    assert addresses(overview[0], "To") == [KOORDINIERUNGSSTELLE]

    by_recipient = {tuple(addresses(m, "To")): m for m in reminders}
    # The DRK tandem: each contact gets their own reminder, naming the other.
    krueger = by_recipient[("t.krueger@drk-lueneburg.example.org",)]
    said = by_recipient[("m.said@drk-lueneburg.example.org",)]
    assert "Tobias Krüger" in str(krueger.message["To"])
    assert "Lüne/Moorfeld" in str(krueger.message["Subject"])
    assert "Diese Erinnerung geht auch an Miriam Said." in body(krueger)
    assert "Diese Erinnerung geht auch an Tobias Krüger." in body(said)
    assert "Auftaktgespräch" in body(krueger) and "31.03.2026" in body(krueger)
    voss = by_recipient[("h.voss@paulus-lueneburg.example.org",)]
    assert "Hannah Voß" in str(voss.message["To"])
    assert "Schützenplatz" in str(voss.message["Subject"]) + body(voss)
    assert "Yıldız" in str(by_recipient[("m.yildiz@caritas-lueneburg.example.org",)].message["To"])
    assert all(not m.message["Cc"] for m in reminders)  # reminders go to the contacts only

    sent_at = datetime(2026, 3, 3, 8, 5, tzinfo=BERLIN)
    for message in received:
        assert parsedate_to_datetime(str(message.message["Date"])) == sent_at
        assert message.mail_from == KOORDINIERUNGSSTELLE
    rows = outbox(zyklus, "2026-03-03T08:06")
    assert sorted(message_ids(received)) == sorted(r["message_id"] for r in rows)
    assert {r["status"] for r in rows} == {"sent"}
    assert keys(rows) == sorted(
        [f"{p}/2026/auftaktgespraech/2026-03-31/erinnerung/1" for p in PAIRINGS]
        + [
            "innenstadt/2026/auftaktgespraech/2026-03-31/erinnerung/1"
            "/an-p.wendt@lebensraum-diakonie.example.org",
            "luene-moorfeld/2026/auftaktgespraech/2026-03-31/erinnerung/1"
            "/an-m.said@drk-lueneburg.example.org",
            "wochenuebersicht/2026-W10",
        ]
    )


def test_the_same_tick_again_enqueues_and_sends_nothing(
    zyklus: Run, workspace: Path, smtp_sink: SmtpSink
) -> None:
    _init(zyklus, workspace, smtp_sink)
    assert tick(zyklus, "2026-03-03T08:05")["sent"] == FIRST_TICK
    again = tick(zyklus, "2026-03-03T08:05")
    assert again == {
        "opened": 0,
        "enqueued": 0,
        "skipped": 0,
        "sent": 0,
        "failed": 0,
        "deferred": 0,
    }
    later = tick(zyklus, "2026-03-03T16:30")
    assert later["enqueued"] == 0 and later["sent"] == 0
    assert len(smtp_sink.messages) == FIRST_TICK
    assert len(set(message_ids(smtp_sink.messages))) == FIRST_TICK


def test_a_first_tick_on_20_april_sends_only_the_level_2_escalation_of_the_auftaktgespraech(
    zyklus: Run, workspace: Path, smtp_sink: SmtpSink
) -> None:
    _init(zyklus, workspace, smtp_sink, now="2026-04-20T09:00")
    report = tick(zyklus, "2026-04-20T09:00")
    # 8 level-2 escalations, 8 copies for the Träger's Leitung, the weekly overview
    assert report["enqueued"] == 17
    assert report["skipped"] == 24  # 2 reminders + level 1, for each of the 8 pairings
    assert report["failed"] == report["deferred"] == 0

    rows = outbox(zyklus, "2026-04-20T09:01")
    assert keys(rows) == sorted(
        [f"{p}/2026/auftaktgespraech/2026-03-31/eskalation/2" for p in PAIRINGS]
        + [f"{p}/2026/auftaktgespraech/2026-03-31/eskalation/2/kopie-leitung" for p in PAIRINGS]
        + ["wochenuebersicht/2026-W17"]
    )
    # The Stabsstellenleitung gets one message listing every Träger's case, the
    # Koordinierungsstelle in copy — and no Träger's Leitung in copy.
    [to_stabsstelle] = [m for m in smtp_sink.messages if STABSSTELLENLEITUNG in addresses(m, "To")]
    assert addresses(to_stabsstelle, "Cc") == [KOORDINIERUNGSSTELLE]
    assert "Dr. Henrike Albers" in str(to_stabsstelle.message["To"])
    # Each Leitung gets its own copy with its own escalations only.
    to_awo = [m for m in smtp_sink.messages if LEITUNG_AWO in addresses(m, "To")]
    assert len(to_awo) == 1 and addresses(to_awo[0], "Cc") == []
    body = to_awo[0].message.get_body(("plain",))
    assert body is not None
    text = body.get_content()
    assert "Kaltenmoor" in text and "als Leitung des Trägers" in text
    assert "Bockelsberg" not in text  # another Träger's case
    assert (
        report["sent"] == 1 + 7 + 1
    )  # Stabsstellenleitung, 7 Leitungen (one Träger twice), digest

    skipped = outbox(zyklus, "2026-04-20T09:01", "skipped")
    assert sorted(n["key"] for n in skipped) == sorted(
        f"{p}/2026/auftaktgespraech/2026-03-31/{kind}"
        for p in PAIRINGS
        for kind in ("erinnerung/1", "erinnerung/2", "eskalation/1")
    )
    assert {n["point_on"] for n in skipped} == {"2026-03-03", "2026-03-24", "2026-04-01"}


def _pairing_keys(zyklus: Run, now: str, pairing: str) -> list[str]:
    """Keys of every notification recorded for ``pairing``: bundled into messages or skipped."""
    bundled = keys(outbox(zyklus, now))
    skipped = [n["key"] for n in outbox(zyklus, now, "skipped")]
    return sorted(k for k in bundled + skipped if k.startswith(f"{pairing}/"))


def test_after_an_extension_the_reminders_count_from_the_new_date(
    zyklus: Run, workspace: Path, smtp_sink: SmtpSink
) -> None:
    _init(zyklus, workspace, smtp_sink)
    extended = zyklus(
        "extend",
        "kaltenmoor",
        "2026",
        "auftaktgespraech",
        "--until",
        "2026-05-15",
        "--reason",
        "Neue Stadtteilmanagerin ab März, Termin mit dem Träger abgestimmt",
        now="2026-02-10T10:00",
    )
    assert extended.code == 0, extended.err
    old, new = "2026/auftaktgespraech/2026-03-31", "kaltenmoor/2026/auftaktgespraech/2026-05-15"

    tick(zyklus, "2026-03-03T08:05")
    assert _pairing_keys(zyklus, "2026-03-03T08:05", "kaltenmoor") == []
    assert _pairing_keys(zyklus, "2026-03-03T08:05", "bockelsberg") == [
        f"bockelsberg/{old}/erinnerung/1"
    ]
    tick(zyklus, "2026-03-24T08:05")
    assert _pairing_keys(zyklus, "2026-03-24T08:05", "kaltenmoor") == []
    assert _pairing_keys(zyklus, "2026-03-24T08:05", "ebensberg") == [
        f"ebensberg/{old}/erinnerung/1",
        f"ebensberg/{old}/erinnerung/2",
    ]
    tick(zyklus, "2026-04-16T08:05")  # 15.05. − 28 days is Friday 17.04.: nothing yet
    assert _pairing_keys(zyklus, "2026-04-16T08:05", "kaltenmoor") == []

    tick(zyklus, "2026-04-17T08:05")
    assert _pairing_keys(zyklus, "2026-04-17T08:05", "kaltenmoor") == [f"{new}/erinnerung/1"]
    tick(zyklus, "2026-05-07T08:05")
    assert _pairing_keys(zyklus, "2026-05-07T08:05", "kaltenmoor") == [f"{new}/erinnerung/1"]
    tick(zyklus, "2026-05-08T08:05")  # 15.05. − 7 days
    assert _pairing_keys(zyklus, "2026-05-08T08:05", "kaltenmoor") == [
        f"{new}/erinnerung/1",
        f"{new}/erinnerung/2",
    ]
    kaltenmoor = [m for m in smtp_sink.messages if "Kaltenmoor" in str(m.message["Subject"])]
    assert len(kaltenmoor) == 2
    assert all("15.05.2026" in body(m) for m in kaltenmoor)
    assert all(addresses(m, "To") == ["l.hoffmann@awo-lueneburg.example.org"] for m in kaltenmoor)
