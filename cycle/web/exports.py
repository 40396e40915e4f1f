"""The filtered Übersicht as files: CSV for a German Excel and XLSX (SPEC §13).

The writers (``;``, BOM, ``Ja``/``Nein``, German dates, formula neutralisation, typed XLSX
cells) are shared with the CLI in ``cycle.views.exports``.
"""

from __future__ import annotations

from collections.abc import Sequence

from cycle.config.settings import Settings
from cycle.views.exports import Cell, safe, to_csv, to_xlsx
from cycle.views.overview import CycleRow
from workflows.stages import STATUS_LABELS


def headers(settings: Settings) -> list[str]:
    head = ["Partnerschaft", "Träger", "Stadtteil", "Handlungsfeld", "Jahr", "Stand"]
    for stage in settings.stages:
        head += [
            f"{stage.name}: Status",
            f"{stage.name}: Frist",
            f"{stage.name}: erledigt",
            f"{stage.name}: erledigt am",
            f"{stage.name}: Tage überfällig",
        ]
    return head


def state_label(settings: Settings, state: str) -> str:
    stage = settings.stage(state)
    return f"bei {stage.name}" if stage else state


def rows(settings: Settings, cycles: Sequence[CycleRow]) -> list[list[Cell]]:
    out: list[list[Cell]] = []
    for r in cycles:
        pairing = settings.pairings.get(r.pairing)
        line: list[Cell] = [
            r.pairing,
            r.traeger,
            r.stadtteil,
            pairing.handlungsfeld if pairing else "",
            r.year,
            state_label(settings, r.state),
        ]
        for stage in settings.stages:
            cell = r.stages.get(stage.id)
            if cell is None:
                line += [None, None, None, None, None]
                continue
            line += [
                STATUS_LABELS.get(cell.status, cell.status),
                cell.due,
                "Ja" if cell.done else "Nein",
                cell.done_on,
                cell.overdue_days,
            ]
        out.append(line)
    return out


__all__ = ["headers", "rows", "safe", "state_label", "to_csv", "to_xlsx"]
