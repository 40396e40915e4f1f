"""Four eyes where money is signed off (``[policy] vier_augen``, default on).

Through the ``zyklus`` command, where ``--by`` names the actor: who checked a Verwendungsnachweis
does not acknowledge it, and who recorded it as staff does not check it. A refusal exits 1, names
the rule and changes nothing (no status, no audit entry).
"""

from __future__ import annotations

import json
from pathlib import Path

from tests.conftest import Result, Run

VN = Path(__file__).parent / "data" / "documents" / "verwendungsnachweis-2026.toml"
P = ("kaltenmoor", "2026", "verwendungsnachweis")
NOW = "2027-06-02T09:00"


def _ok(result: Result) -> None:
    assert result.code == 0, result.err


def _submitted(zyklus: Run, by: str = "test") -> None:
    _ok(zyklus("init", now="2026-01-05T09:00"))
    for stage in ("auftaktgespraech", "fachtag", "auswertungsgespraech", "jahresbericht"):
        _ok(zyklus("waive", "kaltenmoor", "2026", stage, "--reason", "Test", now=NOW))
    _ok(zyklus("submit", *P, str(VN), "--by", by, now=NOW))


def _status(zyklus: Run) -> str:
    result = zyklus("status", "--year", "2026", "--format", "json", now=NOW)
    cycle = next(c for c in json.loads(result.out)["cycles"] if c["pairing"] == "kaltenmoor")
    return str(cycle["stages"]["verwendungsnachweis"]["status"])


def _sign_offs(zyklus: Run) -> list[tuple[str, str]]:
    listing = json.loads(
        zyklus("audit", "--pairing", "kaltenmoor", "--format", "json", now=NOW).out
    )
    return [
        (e["actor"], e["action"])
        for e in listing
        if e["stage"] == "verwendungsnachweis" and e["action"] in ("submit", "check", "acknowledge")
    ]


def _refused(result: Result, text: str) -> None:
    assert result.code == 1, (result.out, result.err)
    assert "Vier-Augen-Prinzip" in result.err and text in result.err, result.err
    assert "Traceback" not in result.err


def test_who_checked_may_not_acknowledge_and_who_submitted_may_not_check(zyklus: Run):
    _submitted(zyklus)  # as the operator "test" ($ZYKLUS_USER)
    _refused(zyklus("check", *P, now=NOW), "test hat diesen Verwendungsnachweis eingereicht")
    assert _status(zyklus) == "eingereicht"
    _ok(zyklus("check", *P, "--by", "K. Koordinator", now=NOW))
    # the same person with other case and blanks is the same person
    _refused(
        zyklus("acknowledge", *P, "--by", "  k. koordinator ", now=NOW),
        "K. Koordinator hat diesen Verwendungsnachweis geprüft",
    )
    assert _status(zyklus) == "geprueft"
    _ok(zyklus("acknowledge", *P, "--by", "S. Leitung", now=NOW))
    assert _status(zyklus) == "zur_kenntnis_genommen"
    assert _sign_offs(zyklus) == [
        ("test", "submit"),
        ("K. Koordinator", "check"),
        ("S. Leitung", "acknowledge"),
    ]


def test_a_redone_step_counts_as_redone_and_a_reopened_one_does_not_clear_the_checker(
    zyklus: Run,
):
    # each redo on its own day: a redo on the same day is issue 18 item 7, not this rule
    _submitted(zyklus)
    _ok(zyklus("check", *P, "--by", "A", now=NOW))
    _ok(zyklus("acknowledge", *P, "--by", "B", now="2027-06-03T09:00"))
    # reopening the Kenntnisnahme leaves A as the checker: A still may not acknowledge
    fix = ("correct", *P, "--reopen", "--by", "B", "--reason")
    _ok(zyklus(*fix, "falsch abgezeichnet", now="2027-06-04T09:00"))
    _refused(zyklus("acknowledge", *P, "--by", "A", now="2027-06-04T10:00"), "A hat diesen")
    # reopening the check and checking again by C: now A is not the checker any more
    _ok(zyklus(*fix, "neu prüfen", now="2027-06-07T09:00"))
    assert _status(zyklus) == "eingereicht"
    _ok(zyklus("check", *P, "--by", "C", now="2027-06-07T10:00"))
    _refused(zyklus("acknowledge", *P, "--by", "c", now="2027-06-08T09:00"), "C hat diesen")
    _ok(zyklus("acknowledge", *P, "--by", "A", now="2027-06-08T10:00"))


def test_with_vier_augen_false_one_person_may_do_every_step(zyklus: Run, workspace: Path):
    config = workspace / "config.toml"
    text = config.read_text(encoding="utf-8")
    assert "vier_augen = true" in text  # the shipped config states the default
    config.write_text(text.replace("vier_augen = true", "vier_augen = false"), encoding="utf-8")
    _submitted(zyklus)
    for event in ("check", "acknowledge", "file"):
        _ok(zyklus(event, *P, now=NOW))
    assert _status(zyklus) == "abgelegt"


def test_vier_augen_must_be_true_or_false(zyklus: Run, workspace: Path):
    config = workspace / "config.toml"
    text = config.read_text(encoding="utf-8").replace("vier_augen = true", 'vier_augen = "ja"')
    config.write_text(text, encoding="utf-8")
    result = zyklus("status", now=NOW)
    assert result.code == 2
    assert "policy.vier_augen: erwartet true oder false" in result.err
