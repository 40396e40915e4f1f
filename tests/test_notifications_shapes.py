"""The build-once-per-shape helper (issue 17 item 8): results are always what a full build gives."""

from __future__ import annotations

import jinja2
import pytest
from markupsafe import escape

from notifications.shapes import Holes, Shapes, Unshapeable

TEMPLATE = "Guten Tag {{ name }}, Ihr Bericht für {{ ort }} ist fällig."


class Builder:
    """Renders a real Jinja template and counts the renders the helper asked for."""

    def __init__(self, source: str) -> None:
        self.template = jinja2.Environment(autoescape=True).from_string(source)
        self.renders = 0

    def render(self, **values: str) -> str:
        self.renders += 1
        return self.template.render(**values)

    def shaped(self, shapes: Shapes[str, str], name: str, ort: str) -> str:
        holes = Holes()
        shaped = {"name": holes.hole(name), "ort": holes.hole(ort)}
        return shapes.build(
            repr(sorted(shaped)),
            full=lambda: self.render(name=name, ort=ort),
            template=lambda: self.render(**shaped),
            fill=lambda template: holes.fill(template, lambda text: str(escape(text))),
        )


PEOPLE = [("Anna Meier", "Kaltenmoor"), ("O'Neill & Partner", "West <Süd>"), ("Jürgen", "Lüne")]


def test_one_shape_is_rendered_twice_once_and_every_later_input_is_filled_in() -> None:
    builder, shapes = Builder(TEMPLATE), Shapes[str, str](kept=4)
    for name, ort in PEOPLE * 3:
        assert builder.shaped(shapes, name, ort) == Builder(TEMPLATE).render(name=name, ort=ort)
    assert builder.renders == 2  # the first input in full, and its template
    assert shapes.filled == 3 * len(PEOPLE) - 1
    assert len(shapes) == 1


def test_a_template_that_changes_a_text_is_caught_by_the_first_check_and_built_in_full() -> None:
    source = "Guten Tag {{ name|upper }}, Ihr Bericht für {{ ort }} ist fällig."
    builder, shapes = Builder(source), Shapes[str, str](kept=4)
    for name, ort in PEOPLE * 2:
        assert builder.shaped(shapes, name, ort) == Builder(source).render(name=name, ort=ort)
    assert shapes.filled == 0
    assert builder.renders == 2 * len(PEOPLE) + 1  # each in full, plus the one template


def test_the_cache_is_bounded_and_a_dropped_shape_is_checked_again() -> None:
    shapes = Shapes[str, str](kept=2)
    counts = {"full": 0}

    def build(key: str) -> str:
        def full() -> str:
            counts["full"] += 1
            return key

        return shapes.build(key, full=full, template=lambda: key, fill=lambda t: t)

    for key in ("a", "b", "a", "c", "a"):
        assert build(key) == key
    assert len(shapes) <= 2
    assert counts["full"] == 4  # a, b, c and a again after the cache was cleared for c


def test_a_text_holding_a_placeholder_bracket_cannot_stand_in_a_placeholder() -> None:
    holes = Holes()
    with pytest.raises(Unshapeable):
        holes.hole("Kalten\u2045moor")
    with pytest.raises(Unshapeable):
        holes.hole("0\u2046")
    assert holes.fill(holes.hole("a & b") + "|" + holes.hole(""), str.upper) == "A & B|"
