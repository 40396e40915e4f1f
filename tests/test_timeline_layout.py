"""The timeline's one layout (``cycle.documents.timeline``) and its two renderers.

The Zyklus page's SVG (``cycle.views.charts``) and the Abschlussnachweis PDF
(``cycle.documents.pdf_timeline``) take positions and labels from the same ``layout``; these
tests read both outputs back and compare them with it.
"""

from __future__ import annotations

import re
from datetime import date, datetime
from zoneinfo import ZoneInfo

import pdfplumber
import pytest

from cycle.documents.blocks import Heading
from cycle.documents.pdf_render import pdf
from cycle.documents.pdf_timeline import hatching
from cycle.documents.timeline import WIDTH, Bar, Timeline, layout
from cycle.views import charts

BARS = (
    Bar("Auftaktgespräch", date(2026, 1, 1), date(2026, 3, 31), date(2026, 3, 10), "durchgeführt"),
    Bar("Fachtag", date(2026, 4, 1), date(2026, 9, 30), None, "offen", overdue=True),
    Bar("Verwendungsnachweis", date(2026, 12, 31), date(2027, 6, 30), None, "offen"),
)
CREATED = datetime(2026, 10, 15, 9, 0, tzinfo=ZoneInfo("Europe/Berlin"))


def test_the_layout_keeps_everything_on_the_canvas_in_order():
    at = layout(Timeline("Zeitleiste", BARS, date(2026, 10, 15)))
    assert [m.label for m in at.months][:3] == ["Jan", "Feb", "Mär"] and len(at.months) == 18
    assert [m.year for m in at.months if m.year] == ["2026", "2027"]
    assert [r.kind for r in at.rows] == ["erledigt", "ueberfaellig", "offen"]
    tops = [r.y for r in at.rows]
    assert tops == sorted(tops) and len(set(tops)) == 3
    for row in at.rows:
        x, _, w, _ = row.box
        assert x > 0 and x + w <= WIDTH and row.due_x == pytest.approx(x + w, abs=0.2)
    assert at.rows[0].done_x is not None and at.rows[0].x < at.rows[0].done_x < at.rows[0].due_x
    assert at.today_x is not None and at.rows[1].due_x < at.today_x < at.rows[2].x
    assert at.grid[1] < at.today_y < at.legend_y < at.height
    assert [k.label for k in at.legend] == [
        *("offen", "erledigt", "überfällig", "Frist", "erledigt am", "heute")
    ]
    assert at.legend[-1].x + 18 + 11 * 0.56 * len("heute") <= WIDTH


def test_the_reference_day_label_turns_left_near_the_right_edge_and_vanishes_outside():
    late = layout(Timeline("Z", BARS, date(2027, 6, 28), "Stand 28.06.2027"))
    assert late.today_anchor == "end" and late.today_label == "Stand 28.06.2027"
    early = layout(Timeline("Z", BARS, date(2026, 2, 1)))
    assert early.today_anchor == "start"
    assert layout(Timeline("Z", BARS, date(2028, 1, 1))).today_x is None


def test_the_text_alternative_names_every_stage_with_its_dates():
    t = Timeline("Z", BARS, date(2026, 10, 15))
    assert t.rows()[0] == (
        "Auftaktgespräch",
        "01.01.2026 bis 31.03.2026",
        "durchgeführt, erledigt am 10.03.2026",
    )
    assert t.rows()[1][2] == "offen, überfällig"
    assert t.text().startswith("Stand 15.10.2026. Auftaktgespräch: 01.01.2026 bis 31.03.2026")


def test_the_svg_draws_the_layout():
    t = Timeline("Zeitleiste: Zyklus 2026 · Kaltenmoor", BARS, date(2026, 10, 15))
    svg, at = charts.timeline("zeitleiste", t), layout(t)
    windows = re.findall(r'<rect class="bild-fenster bild-(\w+)" x="([\d.]+)" y="[\d.]+" '
                         r'width="([\d.]+)"', svg)  # fmt: skip
    rows = [(r.kind, str(r.box[0]), str(r.box[2])) for r in at.rows]
    assert windows[: len(rows)] == rows  # then the legend's three samples
    assert [w[0] for w in windows[len(rows) :]] == ["offen", "erledigt", "ueberfaellig"]
    assert f'viewBox="0 0 {WIDTH} {round(at.height)}"' in svg
    assert f'<desc id="zeitleiste-d">{t.text()}</desc>' in svg
    assert svg.count('class="bild-haken"') == 2  # the done stage and the legend


def test_the_hatching_stays_inside_its_box():
    lines = hatching(10.0, 20.0, 30.0, 4.0, 1.3)
    assert len(lines) > 20
    for x1, y1, x2, y2 in lines:
        for x, y in ((x1, y1), (x2, y2)):
            assert 10.0 - 1e-9 <= x <= 40.0 + 1e-9 and 20.0 - 1e-9 <= y <= 24.0 + 1e-9
        assert x2 - x1 == pytest.approx(y1 - y2)  # 45°


def test_the_pdf_draws_the_same_layout_across_the_text_width(tmp_path):
    t = Timeline("Z", BARS, date(2026, 10, 15), "Stand 15.10.2026")
    path = tmp_path / "t.pdf"
    path.write_bytes(pdf("Zeitleiste", [Heading(1, "Zeitleiste"), t], CREATED))
    at = layout(t)
    with pdfplumber.open(path) as document:
        page = document.pages[0]
        mm = 72 / 25.4
        scale = 170 * mm / WIDTH  # A4 minus 2 × 20 mm margins, in points per canvas unit
        boxes = [r for r in page.rects if r["width"] > 12 * scale + 0.5]  # windows, not samples
        assert len(boxes) == len(at.rows)
        for rect, row in zip(sorted(boxes, key=lambda r: r["top"]), at.rows, strict=True):
            x, _, w, _ = row.box
            assert rect["x0"] == pytest.approx(20 * mm + x * scale, abs=0.3)
            assert rect["width"] == pytest.approx(w * scale, abs=0.3)
        words = {w["text"] for w in page.extract_words()}
        assert {"Auftaktgespräch", "Fachtag", "Verwendungsnachweis", "Jan", "2027"} <= words
        assert {"Stand", "15.10.2026", "überfällig", "Frist"} <= words
