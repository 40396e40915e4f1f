"""Ending a pairing with a successor, group meetings, master-data audit, bundled mails."""

from __future__ import annotations

import json
import mailbox
from email import message_from_bytes
from email.policy import default
from pathlib import Path

from tests.conftest import Run
from tests.masterdata import apply_config

SUCCESSOR = """
[[pairing]]
id = "kaltenmoor-quartier"
traeger = "awo"
stadtteil = "kaltenmoor"
handlungsfeld = "Stadtteilmanagement"
angebot = "Stadtteilmanagement"
start = 2026-07-01
contacts = [
  { name = "Jonas Beispiel", email = "j.beispiel@awo-lueneburg.example.org" },
]
"""


def _with_successor(workspace: Path) -> None:
    config = workspace / "config.toml"
    text = config.read_text(encoding="utf-8")
    marker = 'id = "kaltenmoor"\ntraeger = "awo"\nstadtteil = "kaltenmoor"\n'
    assert marker in text
    text = text.replace("start = 2020-01-01\n", "start = 2020-01-01\nend = 2026-06-30\n", 1)
    config.write_text(text + SUCCESSOR, encoding="utf-8")


def _cycles(zyklus: Run, now: str) -> dict[str, dict]:
    out = zyklus("status", "--year", "2026", "--format", "json", now=now).out
    return {c["pairing"]: c for c in json.loads(out)["cycles"]}


def test_an_ended_pairing_hands_its_cycle_over_to_the_successor(zyklus: Run, workspace: Path):
    _with_successor(workspace)
    assert zyklus("init", now="2026-01-05T09:00").code == 0
    zyklus(
        "complete",
        "kaltenmoor",
        "2026",
        "auftaktgespraech",
        "--on",
        "2026-03-10",
        now="2026-03-10T12:00",
    )
    ended = zyklus(
        "end",
        "kaltenmoor",
        "--on",
        "2026-06-30",
        "--reason",
        "Trägerwechsel",
        "--successor",
        "kaltenmoor-quartier",
        now="2026-07-01T09:00",
    )
    assert ended.code == 0, ended.err
    cycles = _cycles(zyklus, "2026-07-01T09:00")
    assert cycles["kaltenmoor"]["state"] == "beendet"
    successor = cycles["kaltenmoor-quartier"]
    assert successor["stages"]["auftaktgespraech"]["status"] == "durchgefuehrt"
    assert successor["state"] == "fachtag"
    refused = zyklus(
        "waive", "kaltenmoor", "2026", "fachtag", "--reason", "x", now="2026-07-02T09:00"
    )
    assert refused.code == 1 and "beendet" in refused.err
    actions = [
        e["action"]
        for e in json.loads(
            zyklus("audit", "--format", "json", "--year", "2026", now="2026-07-02T09:00").out
        )
    ]
    assert {"partnerschaft_beendet", "zyklus_beendet", "uebernehmen"} <= set(actions)


def test_a_group_meeting_is_scheduled_and_completed_for_all_pairings_at_once(zyklus: Run):
    zyklus("init", now="2026-01-05T09:00")
    zyklus(
        "waive", "alle", "2026", "auftaktgespraech", "--reason", "Testjahr", now="2026-02-01T09:00"
    )
    scheduled = zyklus(
        "schedule", "alle", "2026", "fachtag", "--at", "2026-06-18T09:30", now="2026-04-15T10:00"
    )
    assert scheduled.code == 0, scheduled.err
    done = zyklus(
        "complete", "alle", "2026", "fachtag", "--participants", "14", now="2026-06-18T16:00"
    )
    assert done.code == 0, done.err
    cycles = _cycles(zyklus, "2026-06-19T09:00")
    assert all(c["stages"]["fachtag"]["status"] == "durchgefuehrt" for c in cycles.values())
    assert all(c["state"] == "auswertungsgespraech" for c in cycles.values())


def test_a_changed_traeger_is_kept_by_init_and_imported_on_purpose_and_audited(
    zyklus: Run, workspace: Path
):
    """SPEC §16: after the first start the database holds the master data; a later init leaves
    it alone and says so; applying the file through the bus imports the change, audited."""
    zyklus("init", now="2026-01-05T09:00")
    config = workspace / "config.toml"
    text = config.read_text(encoding="utf-8")
    config.write_text(
        text.replace("AWO Kreisverband Lüneburg e. V.", "AWO Lüneburg e. V.", 1), encoding="utf-8"
    )
    second = zyklus("init", now="2026-01-06T09:00").out
    assert "0 Änderungen" in second and "weichen von denen in der Datenbank ab" in second
    entries = json.loads(zyklus("audit", "--format", "json", now="2026-01-06T09:00").out)
    assert [e for e in entries if e["action"] == "traeger_geaendert"] == []
    assert apply_config(config, "2026-01-06T09:30", by="k.meyer").data["written"] == 1
    entries = json.loads(zyklus("audit", "--format", "json", now="2026-01-06T09:30").out)
    (changed,) = [e for e in entries if e["action"] == "traeger_geaendert"]
    assert changed["actor"] == "k.meyer"
    assert changed["payload"]["aenderungen"]["name"]["vorher"] == "AWO Kreisverband Lüneburg e. V."
    assert changed["payload"]["aenderungen"]["name"]["nachher"] == "AWO Lüneburg e. V."
    assert "0 Änderungen" in zyklus("init", now="2026-01-06T10:00").out  # file = database now
    assert "weichen" not in zyklus("init", now="2026-01-06T10:00").out


def test_one_person_in_several_pairings_gets_one_reminder_message_per_send_time(
    zyklus: Run, workspace: Path
):
    """Issue 10 item 9: Lena Hoffmann is the contact of Kaltenmoor and Bockelsberg and one of
    the two contacts of the Innenstadt tandem: one message lists all three of her reminders;
    her tandem partner gets his own, naming her."""
    config = workspace / "config.toml"
    text = config.read_text(encoding="utf-8")
    lena = '{ name = "Lena Hoffmann", email = "l.hoffmann@awo-lueneburg.example.org"'
    text = text.replace(
        '{ name = "Murat Yıldız", email = "m.yildiz@caritas-lueneburg.example.org"', lena
    ).replace('{ name = "Paul Wendt", email = "p.wendt@lebensraum-diakonie.example.org"', lena)
    config.write_text(text, encoding="utf-8")
    zyklus("init", now="2026-01-05T09:00")
    report = json.loads(zyklus("tick", "--format", "json", now="2026-03-03T08:05").out)
    assert report["enqueued"] == 11  # one reminder per contact of the 8 pairings + the overview
    box = mailbox.Maildir(workspace / "var" / "mail", create=False)
    messages = [message_from_bytes(box.get_bytes(k), policy=default) for k in box.iterkeys()]
    to_lena = [m for m in messages if "l.hoffmann@" in str(m["To"])]
    assert len(to_lena) == 1
    (bundle,) = to_lena
    assert str(bundle["To"]) == "Lena Hoffmann <l.hoffmann@awo-lueneburg.example.org>"
    body = bundle.get_body(("plain",)).get_content()
    assert "Kaltenmoor" in body and "Bockelsberg" in body and "Innenstadt" in body
    assert "3 Hinweise zum Qualitätszyklus" in body
    assert "Diese Erinnerung geht auch an Julia Brandt." in body
    (to_julia,) = [m for m in messages if "j.brandt@" in str(m["To"])]
    assert str(to_julia["To"]) == "Julia Brandt <j.brandt@stadt-lueneburg.example.org>"
    julia = to_julia.get_body(("plain",)).get_content()
    assert "Innenstadt" in julia and "Diese Erinnerung geht auch an Lena Hoffmann." in julia
    assert "Kaltenmoor" not in julia  # nobody sees another pairing's reminder
    assert len(messages) == 9  # 11 notifications in 9 mails
