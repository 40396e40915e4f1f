"""Small German wording helpers shared by every listing: singular and plural."""

from __future__ import annotations


def anzahl(n: int, singular: str, plural: str) -> str:
    """``1 Zyklus``, ``2 Zyklen``, ``0 Einträge``."""
    return f"{n} {singular if n == 1 else plural}"
