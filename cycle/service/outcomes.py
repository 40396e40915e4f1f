"""What a handler returns: data about what changed, never presentation.

The CLI turns an outcome into German lines, the web application into a page; both read the same
fields. ``notes`` are warnings that did not stop the command (e.g. a PDF stored without an
outline check); they carry German messages like refusals do.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from cycle.errors import Problem


@dataclass(frozen=True)
class StageChange:
    """One cycle's stage moved (or kept) its status by one event."""

    pairing: str
    year: int
    stage: str
    stage_name: str
    event: str
    before: str
    after: str
    day: date | None = None
    detail: Mapping[str, Any] = field(default_factory=dict)  # at, location, until, checks …
    queued: int = 0  # notifications enqueued by this change


@dataclass(frozen=True)
class CycleChange:
    """A change of a whole cycle: ended, handed over, noted, retried …"""

    kind: str  # "beendet", "uebernommen", "notiz", "erneut_eingereiht", …
    pairing: str | None
    year: int | None
    detail: Mapping[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class Outcome:
    changes: tuple[StageChange, ...] = ()
    cycle_changes: tuple[CycleChange, ...] = ()
    notes: tuple[Problem, ...] = ()
    data: Mapping[str, Any] = field(default_factory=dict)  # tick and init counts

    @property
    def queued(self) -> int:
        return sum(c.queued for c in self.changes)
