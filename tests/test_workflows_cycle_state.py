"""The cycle's state: first stage not done, then abgeschlossen; or beendet."""

import pytest

from workflows.cycle_state import ABGESCHLOSSEN, BEENDET, cycle_state

STAGES = ("auftaktgespraech", "fachtag", "jahresbericht")


@pytest.mark.parametrize(
    ("statuses", "ended", "expected"),
    [
        (("offen", "offen", "offen"), False, "auftaktgespraech"),
        (("durchgefuehrt", "terminiert", "offen"), False, "fachtag"),
        (("durchgefuehrt", "entfallen", "eingereicht"), False, "jahresbericht"),
        (("durchgefuehrt", "entfallen", "angenommen"), False, ABGESCHLOSSEN),
        (("durchgefuehrt", "offen", "offen"), True, BEENDET),
        (("durchgefuehrt", "entfallen", "angenommen"), True, BEENDET),
    ],
)
def test_the_state_is_the_first_stage_not_done_then_abgeschlossen_or_beendet(
    statuses: tuple[str, ...], ended: bool, expected: str
):
    assert cycle_state(zip(STAGES, statuses, strict=True), ended) == expected


def test_a_cycle_without_stages_is_abgeschlossen():
    assert cycle_state([], ended=False) == ABGESCHLOSSEN
