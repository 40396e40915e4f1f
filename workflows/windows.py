"""When an event of a stage is plausible: from the stage's ``opens`` to the cycle's end + grace.

A meeting held (or dated) before its stage opens, or an event long after the cycle's last stage
was due, is most likely a typing error (a wrong year, a wrong stage). The service layer refuses
such a date unless the user insists with a reason (``--trotzdem --reason``), which is audited.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta
from enum import StrEnum


class Outside(StrEnum):
    BEFORE = "davor"
    AFTER = "danach"


@dataclass(frozen=True)
class StageWindow:
    opens: date | None  # None: the stage has no ``opens`` in the config
    closes: date  # the cycle's last due date plus the grace days

    def outside(self, day: date) -> Outside | None:
        if self.opens is not None and day < self.opens:
            return Outside.BEFORE
        if day > self.closes:
            return Outside.AFTER
        return None


def stage_window(opens: date | None, last_due: date, grace_days: int) -> StageWindow:
    return StageWindow(opens, last_due + timedelta(days=grace_days))
