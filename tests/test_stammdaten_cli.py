"""``zyklus stammdaten export|import`` on a real SQLite file (SPEC §11, §16): a 30-pairing
workbook with two errors refused at row and column, fixed and applied; export → import changes
nothing; ``--probelauf`` changes nothing; a hostile file changes nothing."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.conftest import Run
from tests.stammdaten_files import edited, thirty
from tests.zip_bomb import xlsx_bomb

NOW = "2026-04-02T08:00"


def stored(zyklus: Run) -> str:
    """The stored master data as TOML, and the length of the audit log: what must not move."""
    export = zyklus("stammdaten", "export", "--format", "toml", now=NOW)
    assert export.code == 0, export.err
    audit = zyklus("audit", "--format", "json", now=NOW)
    return export.out + f"\n# {len(json.loads(audit.out))} Protokolleinträge"


@pytest.fixture
def started(zyklus: Run) -> Run:
    assert zyklus("init", now=NOW).code == 0
    return zyklus


def export(zyklus: Run, tmp_path: Path, fmt: str) -> Path:
    target = tmp_path / f"stammdaten.{fmt}"
    result = zyklus("stammdaten", "export", "--format", fmt, "--output", str(target), now=NOW)
    assert result.code == 0, result.err
    assert result.out.startswith(f"Geschrieben: {target} (7 Träger, 8 Stadtteile")
    return target


@pytest.mark.parametrize("fmt", ["xlsx", "csv", "toml"])
def test_an_export_imported_again_changes_nothing(started: Run, tmp_path: Path, fmt: str) -> None:
    before = stored(started)
    file = export(started, tmp_path, fmt)
    result = started("stammdaten", "import", str(file), now=NOW)
    assert result.code == 0, result.err
    assert f"Vorschau stammdaten.{fmt}: 0 neu, 0 geändert, 23 unverändert, 0 beendet." in result.out
    assert "Keine Änderungen; nichts zu übernehmen." in result.out
    assert stored(started) == before


def test_thirty_pairings_with_two_errors_are_refused_at_row_and_column_then_applied(
    started: Run, tmp_path: Path
) -> None:
    before = stored(started)
    workbook = thirty(export(started, tmp_path, "xlsx").read_bytes())
    broken = tmp_path / "dreissig.xlsx"
    # Row 12 (neu-3) names a Träger that does not exist; row 20 (neu-11) a broken address.
    broken.write_bytes(
        edited(workbook, {("Partnerschaften", "B12"): "awx", ("Partnerschaften", "J20"): "p11@"})
    )
    result = started("stammdaten", "import", str(broken), now=NOW)
    assert result.code == 1
    assert result.err.splitlines() == [
        "Fehler: Blatt „Partnerschaften“, Zeile 12, Spalte B „Träger“: unbekannter Träger „awx“ "
        "(meinten Sie „awo“?)",
        "Fehler: Blatt „Partnerschaften“, Zeile 20, Spalte J „Kontakt 1 E-Mail“: „p11@“ ist keine "
        "gültige E-Mail-Adresse („name@domain.de“)",
        "Nichts geändert: 2 Probleme in dreissig.xlsx.",
    ]
    assert stored(started) == before

    fixed = tmp_path / "dreissig-korrigiert.xlsx"
    fixed.write_bytes(
        edited(
            broken.read_bytes(),
            {("Partnerschaften", "B12"): "awo", ("Partnerschaften", "J20"): "p11@example.org"},
        )
    )
    result = started("stammdaten", "import", str(fixed), "--by", "K. Ordinatorin", now=NOW)
    assert result.code == 0, result.err
    assert "44 neu, 0 geändert, 23 unverändert, 0 beendet" in result.out
    assert "Übernommen: 44 Einträge geändert (je ein Protokolleintrag)." in result.out
    status = json.loads(started("status", "--format", "json", now=NOW).out)
    cycles = status["cycles"] if isinstance(status, dict) else status
    assert len({c["pairing"] for c in cycles}) == 30
    audit = json.loads(started("audit", "--format", "json", now=NOW).out)
    created = [e for e in audit if e["action"] == "pairing_angelegt"]
    assert len(created) == 8 + 22
    assert {e["actor"] for e in created[-22:]} == {"K. Ordinatorin"}
    again = started("stammdaten", "import", str(fixed), now=NOW)
    assert "0 neu, 0 geändert, 67 unverändert, 0 beendet" in again.out


def test_probelauf_shows_exactly_the_edits_and_changes_nothing(
    started: Run, tmp_path: Path
) -> None:
    before = stored(started)
    file = export(started, tmp_path, "xlsx")
    changed = tmp_path / "geaendert.xlsx"
    changed.write_bytes(edited(file.read_bytes(), {("Träger", "F3"): "04131 999-1"}))
    result = started("stammdaten", "import", str(changed), "--probelauf", now=NOW)
    assert result.code == 0, result.err
    assert result.out.splitlines() == [
        "Vorschau geaendert.xlsx: 0 neu, 1 geändert, 22 unverändert, 0 beendet.",
        "geändert  Träger „awo“ – AWO Kreisverband Lüneburg e. V. (Blatt „Träger“, Zeile 3)",
        "            Telefon: 04131 000-110 → 04131 999-1",
        "            ⇒ Die neuen Angaben erscheinen in den nächsten Dokumenten und Mails.",
        "Probelauf: nichts geändert.",
    ]
    assert stored(started) == before


def test_a_pairing_left_out_of_the_file_ends(started: Run, tmp_path: Path) -> None:
    file = export(started, tmp_path, "csv")
    lines = file.read_bytes().decode("utf-8-sig").splitlines(keepends=True)
    without = tmp_path / "ohne.csv"
    without.write_bytes(
        "".join(line for line in lines if not line.startswith("Partnerschaft;ebensberg;")).encode()
    )
    result = started("stammdaten", "import", str(without), now=NOW)
    assert result.code == 0, result.err
    assert "beendet   Partnerschaft „ebensberg“" in result.out
    assert "(nicht in der Datei)" in result.out
    assert "Ende: – → 02.04.2026" in result.out
    toml = started("stammdaten", "export", "--format", "toml", now=NOW).out
    (block,) = [b for b in toml.split("[[pairing]]")[1:] if 'id = "ebensberg"' in b]
    assert "end = 2026-04-02" in block


def test_a_zip_bomb_or_a_missing_file_changes_nothing(started: Run, tmp_path: Path) -> None:
    before = stored(started)
    bomb = tmp_path / "bombe.xlsx"
    bomb.write_bytes(xlsx_bomb(256))
    result = started("stammdaten", "import", str(bomb), now=NOW)
    assert result.code == 1
    assert "Fehler: Die XLSX-Datei entpackt sich auf mehr als 96 MB" in result.err
    missing = started("stammdaten", "import", str(tmp_path / "fehlt.xlsx"), now=NOW)
    assert missing.code == 2
    assert "Datei nicht gefunden" in missing.err
    assert stored(started) == before


def test_xlsx_export_needs_an_output_file(started: Run) -> None:
    result = started("stammdaten", "export", "--format", "xlsx", now=NOW)
    assert result.code == 2
    assert "--output stammdaten.xlsx" in result.err
