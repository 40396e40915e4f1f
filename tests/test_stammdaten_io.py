"""Master data as XLSX, CSV and TOML and back (SPEC §16): round trips, problems at their cell,
ids from names, and files built to hurt the server."""

from __future__ import annotations

import csv
import io
import zipfile
from dataclasses import replace
from datetime import date
from pathlib import Path

import pytest
from openpyxl import Workbook, load_workbook

from cycle.config.loader import load
from cycle.config.settings import Contact, MasterData
from cycle.stammdaten_io import export, parse
from tests.stammdaten_files import appended, edited, master
from tests.zip_bomb import xlsx_bomb

ROOT = Path(__file__).resolve().parent.parent
FORMATS = ("xlsx", "csv", "toml")


def shipped() -> MasterData:
    settings = load(ROOT / "config.toml", {})
    return MasterData(settings.traeger, settings.stadtteile, settings.pairings)


def workbook(*sheets: tuple[str, list[list[object]]]) -> bytes:
    book = Workbook()
    book.remove(book.active)
    for title, rows in sheets:
        sheet = book.create_sheet(title)
        for row in rows:
            sheet.append(row)
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


# --- round trips ---


@pytest.mark.parametrize("fmt", FORMATS)
@pytest.mark.parametrize("data", [shipped, master], ids=["config.toml", "30 Partnerschaften"])
def test_an_export_read_back_is_the_same_master_data(fmt: str, data: object) -> None:
    current = data()  # type: ignore[operator]
    result = parse(export(current, fmt), f"stammdaten.{fmt}", current)
    assert result.problems == ()
    assert result.generated == ()
    assert result.desired == current
    assert result.kinds == {"traeger", "stadtteil", "pairing"}


@pytest.mark.parametrize("fmt", FORMATS)
def test_texts_that_look_like_formulas_and_three_tandem_contacts_come_back_unchanged(
    fmt: str,
) -> None:
    current = master(6)
    awkward = replace(
        current.traeger["traeger-1"],
        name="=SUMME(A1:A9)",
        telefon="+49 4131 309-0",
        anschrift="'Hinterhaus' – Gartenweg 1",
        sitz="-Lüneburg",
        email=None,
        vertretungsberechtigt=("Müller, Anna (Vorsitz)", "@Ömer Yıldız"),
    )
    three = (
        Contact("A. Eins", "eins@example.org", "Hansestadt (Tandem)"),
        Contact("B. Zwei", "zwei@example.org", "Träger (Tandem)"),
        Contact("C. Drei", "drei@example.org", "@Vertretung"),
    )
    pairing = replace(current.pairings["p05"], contacts=three, end=date(2026, 6, 30))
    current = replace(
        current,
        traeger={**current.traeger, "traeger-1": awkward},
        pairings={**current.pairings, "p05": pairing},
    )
    result = parse(export(current, fmt), f"x.{fmt}", current)
    assert result.problems == ()
    assert result.desired == current


def test_the_csv_opens_in_a_german_excel_without_a_dialog() -> None:
    data = export(master(3), "csv")
    assert data.startswith(b"\xef\xbb\xbf")  # UTF-8 with BOM
    text = data.decode("utf-8-sig")
    assert "\r\n" in text
    rows = list(csv.reader(io.StringIO(text, newline=""), delimiter=";"))
    assert rows[0][:3] == ["Art", "Kennung", "Name"]
    assert "Kontakt 2 E-Mail" in rows[0]
    kinds = [r[0] for r in rows[1:]]
    assert kinds == ["Träger"] * 6 + ["Stadtteil"] * 3 + ["Partnerschaft"] * 3
    telefon = rows[0].index("Telefon")
    assert rows[1][telefon] == "'+49 4131 000-001"  # never a formula
    beginn = rows[0].index("Beginn")
    assert rows[-1][beginn] == "01.01.2024"


def test_the_xlsx_has_a_sheet_per_kind_with_date_cells_and_text_cells() -> None:
    book = load_workbook(io.BytesIO(export(master(3), "xlsx")))
    assert book.sheetnames == ["Träger", "Stadtteile", "Partnerschaften"]
    pairings = book["Partnerschaften"]
    assert [c.value for c in pairings[1]][:8] == [
        "Kennung",
        "Träger",
        "Stadtteil",
        "Handlungsfeld",
        "Angebot",
        "Tandem",
        "Beginn",
        "Ende",
    ]
    assert pairings["G2"].is_date and pairings["G2"].number_format == "DD.MM.YYYY"
    assert book["Träger"]["F2"].value == "+49 4131 000-001"
    assert book["Träger"]["F2"].data_type == "s"
    assert pairings.freeze_panes == "A2"


def test_the_toml_export_has_the_shape_of_config_toml() -> None:
    text = export(shipped(), "toml").decode()
    assert text.count("[[traeger]]") == 7 and text.count("[[pairing]]") == 8
    assert 'id = "innenstadt"' in text and "start = 2020-01-01" in text
    assert "tandem = true" in text


# --- problems at row and column ---


def test_thirty_pairings_with_two_errors_name_each_row_and_column() -> None:
    current = master(30)
    xlsx = export(current, "xlsx")
    broken = edited(
        xlsx,
        {("Partnerschaften", "B8"): "traeger-9", ("Partnerschaften", "J13"): "kein-mail"},
    )
    result = parse(broken, "stammdaten.xlsx", current)
    assert result.problems == (
        "Blatt „Partnerschaften“, Zeile 8, Spalte B „Träger“: unbekannter Träger „traeger-9“ "
        "(meinten Sie „traeger-6“?)",
        "Blatt „Partnerschaften“, Zeile 13, Spalte J „Kontakt 1 E-Mail“: „kein-mail“ ist keine "
        "gültige E-Mail-Adresse („name@domain.de“)",
    )
    fixed = edited(
        broken,
        {("Partnerschaften", "B8"): "traeger-3", ("Partnerschaften", "J13"): "neu@example.org"},
    )
    result = parse(fixed, "stammdaten.xlsx", current)
    assert result.problems == ()
    assert result.desired.pairings["p07"].traeger == "traeger-3"
    assert result.desired.pairings["p12"].contacts[0].email == "neu@example.org"
    changed = {k for k, p in result.desired.pairings.items() if p != current.pairings[k]}
    assert changed == {"p07", "p12"}


def test_cells_that_cannot_be_read_are_named_once() -> None:
    current = master(5)
    broken = edited(
        export(current, "xlsx"),
        {
            ("Partnerschaften", "G2"): "31.02.2026",
            ("Partnerschaften", "F3"): "vielleicht",
            ("Partnerschaften", "J4"): None,
            ("Träger", "B2"): "x" * 2001,
        },
    )
    assert parse(broken, "s.xlsx", current).problems == (
        "Blatt „Träger“, Zeile 2, Spalte B „Name“: zu lang (2001 Zeichen, höchstens 2000)",
        "Blatt „Partnerschaften“, Zeile 2, Spalte G „Beginn“: „31.02.2026“ gibt es nicht als Datum",
        "Blatt „Partnerschaften“, Zeile 3, Spalte F „Tandem“: „vielleicht“: erwartet Ja oder Nein",
        "Blatt „Partnerschaften“, Zeile 4, Spalte J „Kontakt 1 E-Mail“: Pflichtangabe fehlt",
    )


def test_a_tandem_with_one_contact_is_named_at_the_second_contact() -> None:
    current = master(5)
    single = edited(export(current, "xlsx"), {("Partnerschaften", "F3"): "Ja"})
    assert parse(single, "s.xlsx", current).problems == (
        "Blatt „Partnerschaften“, Zeile 3, Spalte L „Kontakt 2 Name“: ein Tandem braucht "
        "mindestens zwei Kontakte (Hansestadt und Träger)",
    )


def test_an_overlap_names_both_rows() -> None:
    current = master(5)
    twice = edited(export(current, "xlsx"), {("Partnerschaften", "C4"): "stadtteil-1"})
    (problem,) = parse(twice, "s.xlsx", current).problems
    assert problem.startswith("Blatt „Partnerschaften“, Zeile 4: überschneidet sich zeitlich mit")
    assert "„p01“ (Blatt „Partnerschaften“, Zeile 2)" in problem


def test_unknown_columns_sheets_and_kinds_are_problems() -> None:
    current = master(2)
    data = workbook(
        ("Träger", [["Kennung", "Name", "Leitung", "E-Mail der Leitung", "Fax"]]),
        ("Notizen", [["irgendwas"], ["x"]]),
    )
    assert parse(data, "s.xlsx", current).problems == (
        "Blatt „Träger“, Zeile 1, Spalte E „Fax“: unbekannte Spalte",
        "Blatt „Notizen“: weder ein bekanntes Blatt (Träger, Stadtteile, Partnerschaften) noch "
        "eine Spalte „Art“ (Träger, Stadtteil oder Partnerschaft je Zeile)",
    )
    flat = b"Art;Kennung;Name;Beginn\r\nVerein;x;X;\r\nStadtteil;s;S;01.01.2026\r\n"
    assert parse(flat, "s.csv", current).problems == (
        "Zeile 2, Spalte A „Art“: „Verein“ ist keine bekannte Art (erlaubt: Träger, Stadtteil, "
        "Partnerschaft)",
        "Zeile 3, Spalte D „Beginn“: gibt es bei Stadtteil nicht (bitte leer lassen)",
    )


# --- ids, references and what the file leaves out ---


def test_rows_without_kennung_get_ids_from_their_names_and_may_be_named_by_name() -> None:
    current = master(3)
    xlsx = appended(
        export(current, "xlsx"),
        "Träger",
        [None, "Neuer Träger gGmbH", None, None, None, None, None, "Frau Ö", "oe@example.org"],
    )
    xlsx = appended(xlsx, "Stadtteile", [None, "Lüneburg-Mitte", None])
    pairing = [None, "Neuer Träger gGmbH", "lüneburg-mitte", "Jugend", None, "Nein"]
    pairing += ["01.07.2026", None, "Kim Neu", "kim@example.org"]  # Beginn, Ende, Kontakt 1
    xlsx = appended(xlsx, "Partnerschaften", pairing)
    result = parse(xlsx, "s.xlsx", current)
    assert result.problems == ()
    assert [(g.place, g.id, g.source) for g in result.generated] == [
        ("Blatt „Träger“, Zeile 8", "neuer-traeger-ggmbh", "Neuer Träger gGmbH"),
        ("Blatt „Stadtteile“, Zeile 5", "lueneburg-mitte", "Lüneburg-Mitte"),
        (
            "Blatt „Partnerschaften“, Zeile 5",
            "lueneburg-mitte-neuer-traeger-ggmbh",
            "lueneburg-mitte-neuer-traeger-ggmbh",
        ),
    ]
    new = result.desired.pairings["lueneburg-mitte-neuer-traeger-ggmbh"]
    assert (new.traeger, new.stadtteil, new.start) == (
        "neuer-traeger-ggmbh",
        "lueneburg-mitte",
        date(2026, 7, 1),
    )
    assert new.contacts == (Contact("Kim Neu", "kim@example.org"),)


def test_a_made_up_id_the_file_already_uses_gets_a_number() -> None:
    current = master(1)
    data = workbook(
        ("Stadtteile", [["Kennung", "Name"], ["mitte", "Altstadt"], [None, "Mitte"]]),
    )
    result = parse(data, "s.xlsx", current)
    assert result.problems == ()
    assert [g.id for g in result.generated] == ["mitte-2"]
    assert set(result.desired.stadtteile) == {"mitte", "mitte-2", "stadtteil-1"}


def test_a_column_the_sheet_lacks_keeps_the_stored_values() -> None:
    current = master(4)
    data = workbook(
        ("Träger", [["Kennung", "Telefon"], ["traeger-2", "04131 1234"]]),
    )
    result = parse(data, "telefon.xlsx", current)
    assert result.problems == ()
    assert result.kinds == {"traeger"}
    assert result.desired.traeger["traeger-2"] == replace(
        current.traeger["traeger-2"], telefon="04131 1234"
    )
    assert result.desired.traeger == {
        **current.traeger,
        "traeger-2": replace(current.traeger["traeger-2"], telefon="04131 1234"),
    }
    assert result.desired.pairings == current.pairings
    assert result.desired.stadtteile == current.stadtteile


def test_a_new_record_without_a_required_column_is_named_at_that_column() -> None:
    result = parse(
        workbook(("Träger", [["Kennung", "Name"], ["neu", "Neu e. V."]])), "t.xlsx", master(1)
    )
    assert result.problems == (
        "Blatt „Träger“, Zeile 2, Spalte „Leitung“ (nicht in der Datei): Pflichtangabe fehlt",
        "Blatt „Träger“, Zeile 2, Spalte „E-Mail der Leitung“ (nicht in der Datei): "
        "Pflichtangabe fehlt",
    )


# --- CSV and TOML as people save them ---


def test_a_csv_saved_by_a_german_excel_in_windows_1252_is_read() -> None:
    current = master(3)
    text = export(current, "csv").decode("utf-8-sig").replace("Stadtteil 1", "Stadtteil Süd")
    result = parse(text.encode("cp1252"), "stammdaten.csv", current)
    assert result.problems == ()
    assert result.desired.stadtteile["stadtteil-1"].name == "Stadtteil Süd"


def test_a_csv_separated_by_commas_is_refused_with_the_reason() -> None:
    (problem,) = parse(b"Art,Kennung,Name\r\nStadtteil,a,A\r\n", "s.csv", master(1)).problems
    assert "nicht mit „;“ getrennt" in problem


def test_toml_problems_name_their_line_and_key_path() -> None:
    current = master(1)
    text = (
        export(current, "toml").decode().replace('traeger = "traeger-2"', 'traeger = "traeger-22"')
    )
    (problem,) = parse(text.encode(), "s.toml", current).problems
    line = next(n for n, t in enumerate(text.splitlines(), 1) if "traeger-22" in t)
    assert problem.startswith(f"Zeile {line} (pairing[1].traeger): unbekannter Träger")


def test_a_whole_config_toml_imports_its_master_data() -> None:
    data = (ROOT / "config.toml").read_bytes()
    current = master(2)
    result = parse(data, "config.toml", current)
    assert result.problems == ()
    assert result.desired.pairings == shipped().pairings
    assert result.desired.traeger == {**shipped().traeger, **current.traeger}  # none deleted


def test_a_toml_syntax_error_is_one_german_line() -> None:
    (problem,) = parse(b'[[traeger]]\nid = "a\n', "s.toml", master(1)).problems
    assert problem.startswith("TOML-Syntaxfehler in Zeile 2")


# --- files built to hurt ---


@pytest.mark.parametrize("declared", ["honest", "small"])
def test_an_xlsx_zip_bomb_is_refused_in_german(declared: str) -> None:
    bomb = xlsx_bomb(256, declared)  # type: ignore[arg-type]
    assert len(bomb) < 1024 * 1024
    result = parse(bomb, "bombe.xlsx", master(1))
    # Sizes patched down: the archive no longer unpacks to what it holds, so it is broken.
    too_big = "Die XLSX-Datei entpackt sich auf mehr als 96 MB (oder ein Teil auf mehr als "
    broken = "Die Datei ist keine lesbare XLSX-Arbeitsmappe"
    (problem,) = result.problems
    assert problem.startswith(too_big if declared == "honest" else broken)
    assert result.desired == master(1)


def test_a_sheet_with_more_rows_than_master_data_has_is_refused() -> None:
    book = Workbook(write_only=True)
    sheet = book.create_sheet("Stadtteile")
    sheet.append(["Kennung", "Name"])
    for n in range(20_001):
        sheet.append([f"s{n}", f"S {n}"])
    out = io.BytesIO()
    book.save(out)
    assert parse(out.getvalue(), "gross.xlsx", master(1)).problems == (
        "Die Datei hat mehr als 20.000 ausgefüllte Zeilen; so viele Stammdaten liest zyklus "
        "nicht auf einmal ein.",
    )


def test_a_sheet_reaching_far_down_or_wide_is_refused() -> None:
    far = Workbook()
    far.active.title = "Stadtteile"
    far.active.append(["Kennung", "Name"])
    far.active.cell(row=100_001, column=1, value="x")
    out = io.BytesIO()
    far.save(out)
    (problem,) = parse(out.getvalue(), "weit.xlsx", master(1)).problems
    assert problem.startswith("Das Blatt „Stadtteile“ reicht über Zeile 100.000 hinaus")
    wide = workbook(("Stadtteile", [["Kennung", "Name", *[f"x{n}" for n in range(100)]]]))
    assert parse(wide, "breit.xlsx", master(1)).problems == (
        "Das Blatt „Stadtteile“ hat mehr als 100 Spalten.",
    )


def test_an_xlsx_with_an_entity_bomb_is_refused() -> None:
    laughs = (
        '<?xml version="1.0"?><!DOCTYPE worksheet [<!ENTITY lol "lol">'
        '<!ENTITY lol2 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">'
        '<!ENTITY lol3 "&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;">]>'
    )
    source = io.BytesIO(export(master(1), "xlsx"))
    out = io.BytesIO()
    with zipfile.ZipFile(source) as real, zipfile.ZipFile(out, "w") as bomb:
        for info in real.infolist():
            data = real.read(info)
            if info.filename == "xl/worksheets/sheet2.xml":
                data = laughs.encode() + data.replace(b">stadtteil-1<", b">&lol3;<")
            bomb.writestr(info, data)
    (problem,) = parse(out.getvalue(), "lol.xlsx", master(1)).problems
    assert problem.startswith("Die Datei ist keine lesbare XLSX-Arbeitsmappe")


@pytest.mark.parametrize(
    ("name", "data", "start"),
    [
        ("alt.xls", b"\xd0\xcf\x11\xe0", "Das alte Excel-Format .xls"),
        ("tabelle.ods", b"PK\x03\x04", "OpenDocument-Tabellen"),
        ("kaputt.xlsx", b"kein zip", "Die Datei heißt .xlsx, ist aber keine"),
        ("kaputt.xlsx", b"PK\x03\x04" + b"\x00" * 100, "Die Datei ist keine lesbare XLSX"),
        ("binaer.csv", b"Art;Kennung\x00", "Die Datei ist keine CSV-Textdatei"),
    ],
)
def test_files_of_other_formats_are_refused_in_german(name: str, data: bytes, start: str) -> None:
    (problem,) = parse(data, name, master(1)).problems
    assert problem.startswith(start)
