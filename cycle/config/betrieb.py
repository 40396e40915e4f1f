"""``[betrieb]`` for ``cycle.config.loader``: the adoption date, the window after a cycle and
how old ``zyklus run``'s heartbeat may be."""

from __future__ import annotations

from cycle.config.schema import Table
from cycle.config.settings import BetriebSettings, LogSettings

BETRIEB_KEYS = ("start", "nachlauf_tage", "heartbeat_minuten")


def read_betrieb(root: Table) -> BetriebSettings:
    """``[betrieb]``; absent keys keep the defaults of ``BetriebSettings``."""
    table = root.table("betrieb", BETRIEB_KEYS)
    defaults = BetriebSettings()
    return BetriebSettings(
        start=table.day("start"),
        nachlauf_tage=table.integer(
            "nachlauf_tage", defaults.nachlauf_tage, minimum=0, maximum=3650
        ),
        heartbeat_minuten=table.integer(
            "heartbeat_minuten", defaults.heartbeat_minuten, minimum=1, maximum=7 * 24 * 60
        ),
    )


LOG_FORMATS = ("text", "json")


def read_log(root: Table) -> LogSettings:
    """``[log]``: ``format = "text"`` (German lines) or ``"json"`` (one object per line)."""
    table = root.table("log", ("format",))
    value = table.text("format") or LogSettings().format
    if value not in LOG_FORMATS:
        table.problems.add(
            table.at("format"), f"„{value}“ ist kein Protokollformat (erlaubt: „text“, „json“)"
        )
        value = LogSettings().format
    return LogSettings(format=value)
