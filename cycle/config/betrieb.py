"""``[betrieb]`` for ``cycle.config.loader``: the adoption date and the window after a cycle."""

from __future__ import annotations

from cycle.config.schema import Table
from cycle.config.settings import BetriebSettings

BETRIEB_KEYS = ("start", "nachlauf_tage")


def read_betrieb(root: Table) -> BetriebSettings:
    """``[betrieb]``; absent keys keep the defaults of ``BetriebSettings``."""
    table = root.table("betrieb", BETRIEB_KEYS)
    defaults = BetriebSettings()
    return BetriebSettings(
        start=table.day("start"),
        nachlauf_tage=table.integer(
            "nachlauf_tage", defaults.nachlauf_tage, minimum=0, maximum=3650
        ),
    )
