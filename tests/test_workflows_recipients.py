"""The recipients table of SPEC §6, by role."""

import pytest

from workflows.recipients import Recipients, Role, copies_for, recipients_for
from workflows.stages import StageType

K, L = Role.KONTAKTE, Role.LEITUNG
KS, S = Role.KOORDINIERUNGSSTELLE, Role.STABSSTELLENLEITUNG


@pytest.mark.parametrize(
    ("kind", "level", "stage_type", "expected"),
    [
        ("erinnerung", 1, StageType.REPORT, Recipients((K,))),
        ("erinnerung", 2, StageType.REPORT, Recipients((K,))),
        ("eskalation", 1, StageType.REPORT, Recipients((K, L), (KS,))),
        ("eskalation", 2, StageType.REPORT, Recipients((S,), (KS,))),
        ("eskalation", 3, StageType.PROOF_OF_FUNDS, Recipients((S,), (KS,))),
        ("einladung", 0, StageType.MEETING, Recipients((K, L, KS))),
        ("terminerinnerung", 1, StageType.MEETING, Recipients((K, L, KS))),
        ("einladung", 0, StageType.GROUP_MEETING, Recipients((K,))),
        ("terminerinnerung", 1, StageType.GROUP_MEETING, Recipients((K,))),
        ("eingangsbestaetigung", 1, StageType.REPORT, Recipients((K,), (KS,))),
        ("wochenuebersicht", 0, None, Recipients((KS,))),
        ("zustellfehler", 0, None, Recipients((KS,))),
    ],
)
def test_each_kind_and_level_goes_to_the_roles_of_the_table(
    kind: str, level: int, stage_type: StageType | None, expected: Recipients
):
    assert recipients_for(kind, level, stage_type) == expected


def test_a_later_escalation_is_addressed_to_the_stabsstellenleitung():
    assert recipients_for("eskalation", 1).addressed is K
    assert recipients_for("eskalation", 2).addressed is S


def test_a_kind_without_a_rule_is_refused():
    with pytest.raises(ValueError, match="rundbrief"):
        recipients_for("rundbrief", 1)


def test_a_later_escalation_sends_the_traegers_leitung_its_own_copy():
    assert copies_for("eskalation", 1, StageType.REPORT) == ()
    assert copies_for("eskalation", 2, StageType.REPORT) == (Recipients((L,)),)
    assert copies_for("eskalation", 2, StageType.GROUP_MEETING) == ()
    assert copies_for("erinnerung", 2, StageType.REPORT) == ()
