"""``[rechtliches]`` and ``[aufbewahrung]`` (SPEC §18) for ``cycle.config.loader``.

``[rechtliches]`` names Markdown files for the legal pages (relative to the config's folder;
each must exist); ``[aufbewahrung]`` holds one retention period per data class.
"""

from __future__ import annotations

from pathlib import Path

from cycle.config.schema import Table
from cycle.config.settings import AufbewahrungSettings, RechtlichesSettings
from cycle.config.values import quote

LEGAL_PAGES = ("datenschutz", "impressum", "barrierefreiheit")
RECHTLICHES_KEYS = (*LEGAL_PAGES, "stand")
AUFBEWAHRUNG_KEYS = (
    "postausgang_tage",
    "zugang_tage",
    "kontakte_tage",
    "konten_tage",
    "sonstige_jahre",
)


def _markdown(table: Table, key: str, base_dir: Path) -> Path | None:
    text = table.text(key)
    if text is None:
        return None
    path = base_dir / text
    if not path.is_file():
        table.problems.add(table.at(key), f"Datei {quote(text)} nicht gefunden (gesucht: {path})")
        return None
    return path


def read_rechtliches(root: Table, base_dir: Path) -> RechtlichesSettings:
    """``[rechtliches]``; a missing key keeps the shipped default text."""
    table = root.table("rechtliches", RECHTLICHES_KEYS)
    return RechtlichesSettings(
        datenschutz=_markdown(table, "datenschutz", base_dir),
        impressum=_markdown(table, "impressum", base_dir),
        barrierefreiheit=_markdown(table, "barrierefreiheit", base_dir),
        stand=table.day("stand"),
    )


def read_aufbewahrung(root: Table) -> AufbewahrungSettings:
    """``[aufbewahrung]``; absent keys keep the defaults of ``AufbewahrungSettings``."""
    table = root.table("aufbewahrung", AUFBEWAHRUNG_KEYS)
    d = AufbewahrungSettings()
    return AufbewahrungSettings(
        postausgang_tage=table.integer("postausgang_tage", d.postausgang_tage, 1, 3650),
        zugang_tage=table.integer("zugang_tage", d.zugang_tage, 1, 3650),
        kontakte_tage=table.integer("kontakte_tage", d.kontakte_tage, 0, 3650),
        konten_tage=table.integer("konten_tage", d.konten_tage, 0, 3650),
        sonstige_jahre=table.integer("sonstige_jahre", d.sonstige_jahre, 1, 30),
    )
