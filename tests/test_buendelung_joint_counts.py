"""A joint meeting counts once in the Bündelung (issue 23 item 7).

``complete alle 2026 fachtag --participants 14`` for the 8 pairings of the Lüneburg example
gave "112 Teilnehmende … 392,0 Stunden": the meeting's count was added once per pairing.
"""

from __future__ import annotations

import re

import pytest

from tests.conftest import Run


@pytest.fixture
def kickoffs_held(zyklus: Run) -> Run:
    assert zyklus("init", now="2026-01-05T09:00").code == 0
    held = ("complete", "alle", "2026", "auftaktgespraech", "--on", "2026-03-10")
    result = zyklus(*held, "--participants", "3", now="2026-03-11T09:00")
    assert result.code == 0, result.err
    return zyklus


def _fachtag(report: str) -> str:
    """The Bündelung's effort table row of the Fachtag."""
    rows = [line for line in report.splitlines() if "| 18.06.2026 | Fachtag |" in line]
    assert len(rows) == 1, report
    return rows[0]


def test_a_count_given_for_the_joint_fachtag_of_8_pairings_counts_once(kickoffs_held: Run):
    fachtag = ("complete", "alle", "2026", "fachtag", "--on", "2026-06-18")
    result = kickoffs_held(*fachtag, "--participants", "14", now="2026-06-18T16:00")
    assert result.code == 0, result.err
    report = kickoffs_held("report", "buendelung", "2026", now="2026-06-19T09:00")
    assert report.code == 0, report.err
    assert re.search(r"\| 14 \| 3,5 × 14 = 49,0 \|$", _fachtag(report.out)), _fachtag(report.out)
    # two joint events (Auftaktgespräch 3, Fachtag 14): 17 people, 59,5 hours
    assert "3,5 Std. × 17 Teilnehmende (2 Gespräche) = 59,5 Stunden" in report.out
    assert "112" not in report.out and "392,0" not in report.out


def test_names_given_for_a_joint_meeting_count_once_across_its_pairings(kickoffs_held: Run):
    fachtag = ("complete", "alle", "2026", "fachtag", "--on", "2026-06-18")
    names = "Ayşe Demir, Jan Ohlsen, Grete Voss"
    result = kickoffs_held(*fachtag, "--participants", names, now="2026-06-18T16:00")
    assert result.code == 0, result.err
    report = kickoffs_held("report", "buendelung", "2026", now="2026-06-19T09:00")
    assert re.search(r"\| 3 \| 3,5 × 3 = 10,5 \|$", _fachtag(report.out)), _fachtag(report.out)


def test_counts_recorded_by_separate_commands_for_one_group_meeting_add_up(kickoffs_held: Run):
    for pairing, count in (("kaltenmoor", "5"), ("bockelsberg", "4")):
        one = ("complete", pairing, "2026", "fachtag", "--on", "2026-06-18")
        result = kickoffs_held(*one, "--participants", count, now="2026-06-18T16:00")
        assert result.code == 0, result.err
    report = kickoffs_held("report", "buendelung", "2026", now="2026-06-19T09:00")
    assert re.search(r"\| 9 \| 3,5 × 9 = 31,5 \|$", _fachtag(report.out)), _fachtag(report.out)
