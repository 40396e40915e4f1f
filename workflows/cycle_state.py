"""The state of one cycle (SPEC §4): its first stage not done, then ``abgeschlossen``; or
``beendet`` when the pairing ended."""

from __future__ import annotations

from collections.abc import Iterable

from workflows.stages import is_done

ABGESCHLOSSEN = "abgeschlossen"
BEENDET = "beendet"


def cycle_state(stages: Iterable[tuple[str, str]], ended: bool) -> str:
    """``stages`` are (stage id, status) in the order of the stage list."""
    if ended:
        return BEENDET
    return next((stage_id for stage_id, status in stages if not is_done(status)), ABGESCHLOSSEN)
