"""Build once per shape: one expensive result for many inputs that differ only in some texts.

The tick renders the same reminder mail, and attaches the same Jahresbericht skeleton, for
thousands of pairings; only names, ids and dates differ. A caller replaces those texts by numbered
placeholders (``Holes.hole``), which gives the input's *shape*; the result of a shape is built once
and every later input of that shape fills its own texts into it (``Holes.fill``).

The first input of each shape is also built in full and compared with its filled-in result. A shape
whose result differs (a template that filters or tests a text instead of printing it, a writer that
splits it) is marked and built in full from then on, so the cache can never change a result.

Used by ``notifications.render`` (mail templates) and ``cycle.documents.docx_shapes`` (DOCX
skeletons); docs/benchmarks.md has what each saves at 10,000 pairings.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Generic, TypeVar

OPEN, CLOSE = "\u2045", "\u2046"  # ⁅n⁆: brackets no German text, template or XML writer uses
_HOLE = re.compile(f"{OPEN}(\\d+){CLOSE}")

Template = TypeVar("Template")
Result = TypeVar("Result")


class Unshapeable(ValueError):
    """A text that cannot stand in a placeholder: the input is built in full."""


class Holes:
    """The texts of one input, each replaced by a numbered placeholder, in order."""

    def __init__(self) -> None:
        self.values: list[str] = []

    def hole(self, text: str) -> str:
        """The placeholder standing for ``text``; raises ``Unshapeable`` if it holds a bracket."""
        if OPEN in text or CLOSE in text:
            raise Unshapeable(text)
        self.values.append(text)
        return f"{OPEN}{len(self.values) - 1}{CLOSE}"

    def fill(self, shaped: str, escape: Callable[[str], str] = str) -> str:
        """``shaped`` with each placeholder replaced by its text, passed through ``escape``."""
        if OPEN not in shaped:
            return shaped
        return _HOLE.sub(lambda m: escape(self.values[int(m[1])]), shaped)


class Shapes(Generic[Template, Result]):
    """At most ``kept`` shapes and their templates (cleared when full: shapes are few)."""

    def __init__(self, kept: int) -> None:
        self.kept = kept
        self.filled = 0  # results filled in from a template (for tests and benchmarks)
        self._templates: dict[str, Template | None] = {}  # None: built in full

    def __len__(self) -> int:
        return len(self._templates)

    def build(
        self,
        key: str,
        full: Callable[[], Result],
        template: Callable[[], Template],
        fill: Callable[[Template], Result],
        same: Callable[[Result, Result], bool] = lambda a, b: a == b,
    ) -> Result:
        """The result for one input of shape ``key``.

        ``full`` builds it directly, ``template`` builds the shape's template (once), ``fill``
        fills this input's texts into a template; ``same`` compares a filled result with the
        full one (the first input of each shape only).
        """
        if key in self._templates:
            found = self._templates[key]
            if found is None:
                return full()
            self.filled += 1
            return fill(found)
        result = full()
        shaped = template()
        if len(self._templates) >= self.kept:
            self._templates.clear()
        self._templates[key] = shaped if same(fill(shaped), result) else None
        return result
