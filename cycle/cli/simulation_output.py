"""``zyklus simulate``: run the dry run and print its mails as a table, JSON or CSV."""

from __future__ import annotations

from datetime import date, datetime
from pathlib import Path

from cycle.bootstrap import App
from cycle.cli.output import sheet
from cycle.simulation import scenario
from cycle.simulation.simulate import simulate
from cycle.views.exports import Cell, Sheet
from cycle.views.formats import table, to_json
from cycle.views.wording import anzahl

CSV_HEADERS = [
    "Zeitpunkt",
    "Art",
    "Ebene",
    "Partnerschaft",
    "Jahr",
    "Stufe",
    "An",
    "Kopie",
    "Betreff",
]


def run(app: App, start: date, end: date, scenario_file: Path | None, fmt: str) -> int:
    events = scenario.load(scenario_file, app.calendar.timezone) if scenario_file else []
    base = scenario_file.parent if scenario_file else None
    rows = simulate(app, start, end, events, base)
    if fmt == "json":
        print(to_json(rows))
    elif fmt == "csv":  # German office software: `;`, BOM, 31.03.2026, formula-safe cells
        body: list[list[Cell]] = [
            [
                datetime.fromisoformat(r["at"]),
                r["kind"],
                r["level"],
                r["pairing"],
                r["year"],
                r["stage"],
                "; ".join(r["to"]),
                "; ".join(r["cc"]),
                r["subject"],
            ]
            for r in rows
        ]
        return sheet(Sheet(CSV_HEADERS, body, "vorschau"), "csv", None)
    else:
        print(
            table(
                ["Datum", "Art", "Stufe", "Partnerschaft", "Betreff", "An"],
                [
                    [
                        f"{r['at'][8:10]}.{r['at'][5:7]}.{r['at'][0:4]}",
                        r["kind"],
                        r["level"],
                        r["pairing"] or "",
                        r["subject"],
                        _short(r["to"]),
                    ]
                    for r in rows
                ],
                [None, None, None, None, 60, 40],
            )
        )
        print(
            f"{anzahl(len(rows), 'Nachricht', 'Nachrichten')} im Zeitraum "
            f"{start:%d.%m.%Y}–{end:%d.%m.%Y} (nichts wurde versendet)."
        )
    return 0


def _short(addresses: list[str]) -> str:
    first = addresses[0] if addresses else ""
    return first + (f" (+{len(addresses) - 1})" if len(addresses) > 1 else "")
