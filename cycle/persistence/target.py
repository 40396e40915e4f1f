"""The rows one stage event works on: a pairing, its cycle of the year, and that cycle's stages."""

from __future__ import annotations

from dataclasses import dataclass

from cycle.persistence.tables import Cycle, PairingRow, StageState


@dataclass
class Target:
    """One cycle's stage that an event is fired on; handlers mutate ``row``."""

    pairing: PairingRow
    cycle: Cycle
    row: StageState
    stages: dict[str, StageState]
