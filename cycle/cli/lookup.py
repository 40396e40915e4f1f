"""Master data named on the command line: by id or by name, with a suggestion when unknown."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Protocol

from cycle.config.values import suggestion
from cycle.errors import Problem, UsageError


class Named(Protocol):
    @property
    def name(self) -> str: ...


def master_id(text: str | None, known: Mapping[str, Named], field: str, what: str) -> str | None:
    """The id ``text`` names (an id or a name, case-insensitive); ``UsageError`` if none does."""
    if text is None or text in known:
        return text
    wanted = text.casefold().strip()
    by_name = [key for key, item in known.items() if item.name.casefold() == wanted]
    if len(by_name) == 1:
        return by_name[0]
    names = [*known, *(item.name for item in known.values())]
    raise UsageError(
        Problem(field, "unbekannt", f"unbekannter {what} „{text}“{suggestion(text, names)}")
    )
