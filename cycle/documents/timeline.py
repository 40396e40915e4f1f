"""The timeline of one pairing's year: the facts and their layout, below both its pictures.

The Zyklus page draws it as SVG (``cycle.views.charts.timeline``), the Abschlussnachweis PDF
as vector drawing (``cycle.documents.pdf_render``). Both take the positions, the labels and the
text alternative from here, so the two pictures cannot drift apart; they only differ in how
they paint (CSS classes on the page, grey fills and hatching in print).

Pure: dates in, numbers and German words out. Coordinates are in units of a canvas ``WIDTH``
wide (y downwards, text positions are baselines); a renderer scales them to its own width.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import ClassVar, Literal

from cycle.german import datum

MONTHS = ("Jan", "Feb", "Mär", "Apr", "Mai", "Jun", "Jul", "Aug", "Sep", "Okt", "Nov", "Dez")
WIDTH, LABELS, ROW, HEAD = 800, 170, 30, 44
TEXT, SMALL = 13, 11  # font sizes (canvas units): stage names; months, years, legend
MARK = 6  # radius of a done mark
Kind = Literal["offen", "erledigt", "ueberfaellig"]
LegendKind = Literal["offen", "erledigt", "ueberfaellig", "frist", "haken", "heute"]


@dataclass(frozen=True)
class Bar:
    """One stage on the timeline: its window, its due date, when it was done (if it was)."""

    label: str
    start: date
    due: date
    done_on: date | None
    status: str  # German, for the text alternative: "durchgeführt", "offen", …
    overdue: bool = False

    @property
    def kind(self) -> Kind:
        return "erledigt" if self.done_on else ("ueberfaellig" if self.overdue else "offen")

    @property
    def window(self) -> str:
        return f"{datum(self.start)} bis {datum(self.due)}"

    @property
    def state(self) -> str:
        done = f", erledigt am {datum(self.done_on)}" if self.done_on else ""
        return self.status + done + (", überfällig" if self.overdue else "")


@dataclass(frozen=True)
class Timeline:
    """The stages of one cycle and the reference day (today on the page, the document's date
    in print), named by ``today_label`` ("heute", "Stand 02.04.2026")."""

    kind: ClassVar[str] = "timeline"
    title: str
    bars: tuple[Bar, ...]
    today: date
    today_label: str = "heute"

    def rows(self) -> tuple[tuple[str, str, str], ...]:
        """Stage, window, state: the text alternative as a table."""
        return tuple((b.label, b.window, b.state) for b in self.bars)

    def text(self) -> str:
        """The text alternative as one paragraph."""
        lines = "; ".join(f"{label}: {window}, {state}" for label, window, state in self.rows())
        return f"Stand {datum(self.today)}. {lines}."


@dataclass(frozen=True)
class Month:
    x: float
    label: str  # "Jan"
    year: str | None  # above the first month and every January


@dataclass(frozen=True)
class Row:
    label: str
    y: float  # top of the row
    label_y: float  # baseline of the stage name
    x: float  # the window: from x, width w, from y + 6 to y + ROW - 6
    w: float
    due_x: float
    done_x: float | None
    kind: Kind

    @property
    def box(self) -> tuple[float, float, float, float]:
        """The window as x, y, width, height."""
        return self.x, self.y + 6, self.w, ROW - 12

    @property
    def due_line(self) -> tuple[float, float]:
        """The due mark's top and bottom."""
        return self.y + 2, self.y + ROW - 2

    @property
    def mark_y(self) -> float:
        return self.y + ROW / 2


@dataclass(frozen=True)
class Key:
    """One legend entry: a sample at ``x`` (12 wide), its label after it."""

    kind: LegendKind
    x: float
    label: str


@dataclass(frozen=True)
class Layout:
    width: float
    height: float
    grid: tuple[float, float]  # top and bottom of the month lines and the today line
    month_y: float  # baseline of the month names
    year_y: float  # baseline of the years above them
    months: tuple[Month, ...]
    rows: tuple[Row, ...]
    today_x: float | None  # None: the reference day lies outside the months shown
    today_label: str
    today_anchor: Literal["start", "end"]  # the label right of the line, or left near the edge
    today_y: float
    legend_y: float  # top of the legend's samples (12 high); labels' baseline at + 10
    legend: tuple[Key, ...]


def months(start: date, end: date) -> list[date]:
    """The first days of the months from ``start``'s to ``end``'s."""
    found, day = [], date(start.year, start.month, 1)
    while day <= end:
        found.append(day)
        day = _next_month(day)
    return found


def _next_month(day: date) -> date:
    return date(day.year + day.month // 12, day.month % 12 + 1, 1)


def layout(timeline: Timeline) -> Layout:
    """Where everything goes: the months from the first window to the last due (or done) date,
    one row per stage, the reference day, a legend."""
    bars = timeline.bars
    first = min(b.start for b in bars)
    last = max(max(b.due, b.done_on or b.due) for b in bars)
    shown = months(first, last)
    begin, end = shown[0], _next_month(months(last, last)[0])
    span = (end - begin).days
    plot = WIDTH - LABELS - 10

    def x(day: date) -> float:
        return round(LABELS + plot * max(0, min(span, (day - begin).days)) / span, 1)

    rows_end = HEAD + ROW * len(bars)
    grid = (HEAD - 12.0, rows_end + 4.0)
    month_marks = tuple(
        Month(x(m), MONTHS[m.month - 1], str(m.year) if m.month == 1 or m == begin else None)
        for m in shown
    )
    rows = tuple(
        Row(
            b.label,
            HEAD + i * ROW,
            HEAD + i * ROW + 19,
            x(b.start),
            max(2.0, round(x(b.due) - x(b.start), 1)),
            x(b.due),
            x(b.done_on) if b.done_on else None,
            b.kind,
        )
        for i, b in enumerate(bars)
    )
    today_x = x(timeline.today) if begin <= timeline.today < end else None
    near_edge = today_x is not None and today_x > WIDTH - 10 - _width(timeline.today_label) - 6
    legend_y = rows_end + 26
    return Layout(
        WIDTH,
        legend_y + 18,
        grid,
        HEAD - 16,
        12,
        month_marks,
        rows,
        today_x,
        timeline.today_label,
        "end" if near_edge else "start",
        rows_end + 16,
        legend_y,
        _legend(timeline.today_label),
    )


def _legend(today_label: str) -> tuple[Key, ...]:
    entries: tuple[tuple[LegendKind, str], ...] = (
        ("offen", "offen"),
        ("erledigt", "erledigt"),
        ("ueberfaellig", "überfällig"),
        ("frist", "Frist"),
        ("haken", "erledigt am"),
        ("heute", today_label),
    )
    keys, x = [], 4.0
    for kind, label in entries:
        keys.append(Key(kind, x, label))
        x += 12 + 6 + _width(label) + 18
    return tuple(keys)


def _width(text: str, size: float = SMALL) -> float:
    """A generous estimate of a text's width (the page cannot measure; print can)."""
    return len(text) * size * 0.56
