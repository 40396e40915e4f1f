"""Every check of the config loader, table-driven: one edit of a valid config, its problems."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from cycle.config.loader import ConfigError, load

MINIMAL = (Path(__file__).parent / "data" / "config" / "minimal.toml").read_text(encoding="utf-8")
CONTACT = '{ name = "Lena Hoffmann", email = "l.hoffmann@awo.example.org" }'
SECOND_PAIRING = """
[[pairing]]
id = "kaltenmoor-neu"
traeger = "awo"
stadtteil = "kaltenmoor"
start = {start}
contacts = [{{ name = "Tom Berg", email = "t.berg@awo.example.org" }}]
"""


def edited(old: str, new: str) -> str:
    """The minimal config with ``old`` replaced by ``new`` (``old == ""``: append ``new``)."""
    if not old:
        return MINIMAL + "\n" + new + "\n"
    assert MINIMAL.count(old) == 1, old
    return MINIMAL.replace(old, new)


def problems_of(folder: Path, text: str) -> list[str]:
    (folder / "config.toml").write_text(text, encoding="utf-8")
    try:
        load(folder / "config.toml", {})
    except ConfigError as error:
        return error.problems
    return []


CASES: list[tuple[str, str, str, list[str]]] = [
    (
        "unknown top-level key",
        "",
        '[mial]\ntransport = "smtp"',
        ["mial: unbekannter Schlüssel (meinten Sie „mail“?)"],
    ),
    (
        "unknown key without a close match",
        "",
        '[mail]\nfarbe = "blau"',
        [
            "mail.farbe: unbekannter Schlüssel (erlaubt: from, maildir, max_attempts, "
            "retry_base_seconds, smtp, templates, transport, ungewiss_wartezeit_minuten, "
            "zustellstapel)"
        ],
    ),
    (
        "delivery batch of none",
        "",
        "[mail]\nzustellstapel = 0",
        ["mail.zustellstapel: 0 ist nicht erlaubt (muss zwischen 1 und 1000 sein)"],
    ),
    (
        "delivery batch too large",
        "",
        "[mail]\nzustellstapel = 5000",
        ["mail.zustellstapel: 5000 ist nicht erlaubt (muss zwischen 1 und 1000 sein)"],
    ),
    (
        "misspelt sub-table",
        "",
        "[mail.smpt]\nport = 25",
        ["mail.smpt: unbekannter Schlüssel (meinten Sie „smtp“?)"],
    ),
    (
        "unknown key in an array of tables",
        'id = "auftakt"',
        'id = "auftakt"\nlietfaden = "x.md"',
        ["stage[1].lietfaden: unbekannter Schlüssel (meinten Sie „leitfaden“?)"],
    ),
    (
        "port as text",
        "",
        '[mail.smtp]\nport = "587"',
        ["mail.smtp.port: erwartet eine ganze Zahl, gefunden: Text „587“"],
    ),
    (
        "port out of range",
        "",
        "[mail.smtp]\nport = 70000",
        ["mail.smtp.port: 70000 ist nicht erlaubt (muss zwischen 1 und 65535 sein)"],
    ),
    (
        "port zero",
        "",
        "[mail.smtp]\nport = 0",
        ["mail.smtp.port: 0 ist nicht erlaubt (muss zwischen 1 und 65535 sein)"],
    ),
    (
        "smtp security",
        "",
        '[mail.smtp]\nsecurity = "ssl"',
        ["mail.smtp.security: „ssl“ ist nicht erlaubt (erlaubt: none, starttls, tls)"],
    ),
    (
        "smtp timeout",
        "",
        "[mail.smtp]\ntimeout_seconds = -5",
        ["mail.smtp.timeout_seconds: -5 ist nicht erlaubt (mehr als 0, höchstens 3600)"],
    ),
    (
        "password in the file",
        "",
        '[mail.smtp]\npassword_env = "geheim 123!"',
        [
            "mail.smtp.password_env: „geheim 123!“ ist kein Variablenname "
            "(das Passwort selbst gehört nicht in die Datei)"
        ],
    ),
    (
        "mail transport",
        "",
        '[mail]\ntransport = "smpt"',
        ["mail.transport: „smpt“ ist nicht erlaubt (meinten Sie „smtp“?; erlaubt: maildir, smtp)"],
    ),
    (
        "sender without a top-level domain",
        "",
        '[mail]\nfrom = "Koordinierung <k@example>"',
        [
            "mail.from: „Koordinierung <k@example>“ ist keine gültige E-Mail-Adresse "
            "(„name@domain.de“ oder „Name <name@domain.de>“)"
        ],
    ),
    (
        "max attempts",
        "",
        "[mail]\nmax_attempts = 0",
        ["mail.max_attempts: 0 ist nicht erlaubt (muss mindestens 1 sein)"],
    ),
    (
        "missing template folder",
        "",
        '[mail]\ntemplates = "vorlagen/mail"',
        ["mail.templates: Ordner „vorlagen/mail“ nicht gefunden (gesucht: {base}/vorlagen/mail)"],
    ),
    (
        "missing required key",
        'email = "koordinierung@example.org"\n',
        "",
        ["koordinierungsstelle.email: Pflichtangabe fehlt"],
    ),
    (
        "missing required section",
        MINIMAL.split("\n[[stage]]")[0],
        "",
        [
            "koordinierungsstelle.name: Pflichtangabe fehlt",
            "koordinierungsstelle.email: Pflichtangabe fehlt",
            "koordinierungsstelle.stabsstellenleitung: Pflichtangabe fehlt",
        ],
    ),
    (
        "blank required text",
        'name = "Koordinierungsstelle Stadtteilarbeit"',
        'name = "  "',
        ["koordinierungsstelle.name: darf nicht leer sein"],
    ),
    (
        "line break in a name",
        'name = "Kaltenmoor"',
        'name = """Kalten\nmoor"""',
        ["stadtteil[1].name: darf keinen Zeilenumbruch enthalten"],
    ),
    (
        "invalid address",
        'stabsstellenleitung = "leitung@example.org"',
        'stabsstellenleitung = "leitung(at)example.org"',
        [
            "koordinierungsstelle.stabsstellenleitung: „leitung(at)example.org“ ist keine gültige "
            "E-Mail-Adresse („name@domain.de“)"
        ],
    ),
    (
        "display name where a plain address is needed",
        'email = "koordinierung@example.org"',
        'email = "K <koordinierung@example.org>"',
        [
            "koordinierungsstelle.email: „K <koordinierung@example.org>“ ist keine gültige "
            "E-Mail-Adresse („name@domain.de“)"
        ],
    ),
    (
        "impossible due date",
        'due = "12-31"',
        'due = "13-45"',
        ["stage[2].due: „13-45“ ist kein gültiges Datum"],
    ),
    (
        "malformed due date",
        'due = "12-31"',
        'due = "31.12."',
        ["stage[2].due: „31.12.“ ist kein Datum der Form MM-TT oder +1-MM-TT"],
    ),
    (
        "due date as a TOML date",
        'due = "12-31"',
        "due = 2026-12-31",
        [
            "stage[2].due: erwartet „MM-TT“ oder „+1-MM-TT“ in Anführungszeichen, "
            "gefunden: Datum 2026-12-31"
        ],
    ),
    ("missing due date", 'due = "12-31"', "", ["stage[2].due: Pflichtangabe fehlt"]),
    (
        "stage opens after it is due",
        'opens = "01-01"',
        'opens = "04-01"',
        ["stage[1].opens: Beginn „04-01“ liegt nach der Frist „03-31“"],
    ),
    (
        "duplicate stage id",
        'id = "bericht"',
        'id = "auftakt"',
        ["stage[2].id: „auftakt“ ist doppelt (schon bei stage[1])"],
    ),
    (
        "stage id not identifier-like",
        'id = "bericht"',
        'id = "Jahres-Bericht"',
        [
            "stage[2].id: „Jahres-Bericht“ ist keine gültige Kennung "
            "(Kleinbuchstaben a–z, Ziffern und _, beginnend mit einem Buchstaben)"
        ],
    ),
    (
        "unknown stage type",
        'type = "report"',
        'type = "reprot"',
        [
            "stage[2].type: unbekannter Stufentyp „reprot“ (meinten Sie „report“?; "
            "erlaubt: meeting, group_meeting, report, proof_of_funds)"
        ],
    ),
    (
        "requires an unknown stage",
        'type = "report"',
        'type = "report"\nrequires = ["auftak"]',
        ["stage[2].requires: unbekannte Stufe „auftak“ (meinten Sie „auftakt“?)"],
    ),
    (
        "requires a later stage",
        'type = "meeting"',
        'type = "meeting"\nrequires = ["bericht"]',
        [
            "stage[1].requires: „bericht“ ist diese oder eine spätere Stufe; eine Stufe kann nur "
            "frühere Stufen voraussetzen"
        ],
    ),
    (
        "requires itself",
        'type = "report"',
        'type = "report"\nrequires = ["bericht"]',
        [
            "stage[2].requires: „bericht“ ist diese oder eine spätere Stufe; eine Stufe kann nur "
            "frühere Stufen voraussetzen"
        ],
    ),
    (
        "requires not a list",
        'type = "report"',
        'type = "report"\nrequires = "auftakt"',
        ["stage[2].requires: erwartet eine Liste von Texten, gefunden: Text „auftakt“"],
    ),
    (
        "missing guide file",
        'type = "meeting"',
        'type = "meeting"\nleitfaden = "fehlt.md"',
        ["stage[1].leitfaden: Datei „fehlt.md“ nicht gefunden (gesucht: {base}/fehlt.md)"],
    ),
    (
        "missing template file",
        'type = "report"',
        'type = "report"\nvorlage = "vorlagen/b.md"',
        ["stage[2].vorlage: Datei „vorlagen/b.md“ nicht gefunden (gesucht: {base}/vorlagen/b.md)"],
    ),
    (
        "meeting reminders on a report",
        'type = "report"',
        'type = "report"\nmeeting_reminder_days = [3]',
        ["stage[2].meeting_reminder_days: gilt nur für Stufen vom Typ meeting und group_meeting"],
    ),
    (
        "no stages",
        MINIMAL[MINIMAL.index("[[stage]]") : MINIMAL.index("[[traeger]]")],
        "",
        ["stage: Pflichtangabe fehlt (mindestens ein Eintrag)"],
    ),
    (
        "stage as a single table",
        MINIMAL[MINIMAL.index("[[stage]]") : MINIMAL.index("[[traeger]]")],
        '[stage]\nid = "auftakt"\nname = "Auftakt"\ntype = "meeting"\ndue = "03-31"\n',
        ["stage: erwartet eine Liste von Tabellen ([[stage]]), gefunden: Tabelle"],
    ),
    (
        "policy list with text",
        "",
        '[policy]\nremind_before_days = [28, "7"]',
        ["policy.remind_before_days: erwartet eine Liste ganzer Zahlen, gefunden: Liste"],
    ),
    (
        "policy list as a number",
        "",
        "[policy]\nescalate_after_days = 14",
        ["policy.escalate_after_days: erwartet eine Liste ganzer Zahlen, gefunden: ganze Zahl 14"],
    ),
    (
        "policy list with a negative day",
        "",
        "[policy]\nmeeting_reminder_days = [7, -1]",
        ["policy.meeting_reminder_days: -1: negative Tage sind nicht erlaubt"],
    ),
    (
        "policy list with a repeated day",
        "",
        "[policy]\nremind_before_days = [7, 28, 7]",
        ["policy.remind_before_days: 7: ist doppelt angegeben"],
    ),
    (
        "policy list with booleans",
        "",
        "[policy]\nremind_before_days = [true]",
        ["policy.remind_before_days: erwartet eine Liste ganzer Zahlen, gefunden: Liste"],
    ),
    (
        "stage override list",
        'type = "report"',
        'type = "report"\nremind_before_days = [1.5]',
        ["stage[2].remind_before_days: erwartet eine Liste ganzer Zahlen, gefunden: Liste"],
    ),
    (
        "digest day",
        "",
        '[policy]\ndigest = "MONDAY"',
        [
            "policy.digest: „MONDAY“ ist nicht erlaubt (meinten Sie „MON“?; "
            "erlaubt: MON, TUE, WED, THU, FRI, SAT, SUN, off)"
        ],
    ),
    (
        "send time",
        "",
        '[calendar]\nsend_time = "8 Uhr"',
        ["calendar.send_time: „8 Uhr“ ist keine Uhrzeit der Form „HH:MM“ (z. B. „08:00“)"],
    ),
    (
        "send time out of range",
        "",
        '[calendar]\nsend_time = "24:00"',
        ["calendar.send_time: „24:00“ ist keine Uhrzeit der Form „HH:MM“ (z. B. „08:00“)"],
    ),
    (
        "send time in the DST gap",
        "",
        '[calendar]\nsend_time = "02:30"',
        [
            "calendar.send_time: Uhrzeiten zwischen 02:00 und 03:00 fallen bei der "
            "Zeitumstellung aus oder doppelt; bitte eine andere wählen"
        ],
    ),
    (
        "unknown timezone",
        "",
        '[calendar]\ntimezone = "Europe/Berln"',
        ["calendar.timezone: unbekannte Zeitzone „Europe/Berln“ (meinten Sie „Europe/Berlin“?)"],
    ),
    (
        "nonsense timezone",
        "",
        '[calendar]\ntimezone = "../../etc"',
        ["calendar.timezone: unbekannte Zeitzone „../../etc“ (z. B. „Europe/Berlin“)"],
    ),
    (
        "unknown holiday country",
        "",
        '[calendar]\nholidays = { country = "XX" }',
        [
            "calendar.holidays.country: unbekanntes Land „XX“ für die Feiertage "
            "(Ländercode nach ISO 3166, z. B. „DE“)"
        ],
    ),
    (
        "unknown holiday subdivision",
        "",
        '[calendar]\nholidays = { country = "DE", subdivision = "NDS" }',
        [
            "calendar.holidays.subdivision: unbekanntes Bundesland/Region „NDS“ für „DE“ "
            "(bekannt: BB, BE, BW, BY, HB, HE, HH, MV, NI, NW, RP, SH, SL, SN, ST, TH, Augsburg)"
        ],
    ),
    (
        "holidays as text",
        "",
        '[calendar]\nholidays = "DE"',
        ["calendar.holidays: erwartet eine Tabelle, gefunden: Text „DE“"],
    ),
    (
        "a section as a value",
        "[koordinierungsstelle]",
        'koordinierung = 1\ncalendar = "Europe/Berlin"\n[koordinierungsstelle]',
        [
            "koordinierung: unbekannter Schlüssel (meinten Sie „koordinierungsstelle“?)",
            "calendar: erwartet eine Tabelle, gefunden: Text „Europe/Berlin“",
        ],
    ),
    (
        "shift flag as text",
        "",
        '[calendar]\nshift_due_to_working_day = "ja"',
        ["calendar.shift_due_to_working_day: erwartet true oder false, gefunden: Text „ja“"],
    ),
    (
        "database url without scheme",
        "",
        '[database]\nurl = "var/zyklus.db"',
        [
            "database.url: „var/zyklus.db“ ist keine Datenbank-URL "
            "(z. B. „sqlite:///var/zyklus.db“ oder „postgresql+psycopg://…“)"
        ],
    ),
    (
        "unknown traeger",
        'traeger = "awo"',
        'traeger = "awo-lg"',
        ["pairing[1].traeger: unbekannter Träger „awo-lg“ (meinten Sie „awo“?)"],
    ),
    (
        "unknown stadtteil",
        'stadtteil = "kaltenmoor"',
        'stadtteil = "mitte"',
        ["pairing[1].stadtteil: unbekannter Stadtteil „mitte“"],
    ),
    (
        "duplicate traeger",
        "",
        '[[traeger]]\nid = "awo"\nname = "AWO"\nleitung = "X"\nleitung_email = "x@awo.example.org"',
        ["traeger[2].id: „awo“ ist doppelt (schon bei traeger[1])"],
    ),
    (
        "traeger id with spaces",
        'id = "awo"',
        'id = "AWO Lüneburg"',
        [
            "traeger[1].id: „AWO Lüneburg“ ist keine gültige Kennung "
            "(Kleinbuchstaben a–z, Ziffern, - und _, z. B. „luene-moorfeld“)",
            "pairing[1].traeger: unbekannter Träger „awo“",
        ],
    ),
    (
        "traeger without leitung e-mail",
        'leitung_email = "leitung@awo.example.org"',
        "",
        ["traeger[1].leitung_email: Pflichtangabe fehlt"],
    ),
    (
        "duplicate pairing",
        "",
        SECOND_PAIRING.format(start="2024-01-01").replace("kaltenmoor-neu", "kaltenmoor"),
        ["pairing[2].id: „kaltenmoor“ ist doppelt (schon bei pairing[1])"],
    ),
    (
        "overlapping pairings",
        "",
        SECOND_PAIRING.format(start="2024-01-01"),
        [
            "pairing[2]: überschneidet sich zeitlich mit „kaltenmoor“ (pairing[1]) im Stadtteil "
            "„kaltenmoor“, Handlungsfeld „Stadtteilmanagement“: 01.01.2024–offen und "
            "01.01.2022–offen"
        ],
    ),
    (
        "pairing end before start",
        "start = 2022-01-01",
        "start = 2022-01-01\nend = 2021-12-31",
        ["pairing[1].end: Ende 31.12.2021 liegt vor dem Beginn 01.01.2022"],
    ),
    (
        "pairing start as text",
        "start = 2022-01-01",
        'start = "2022-01-01"',
        [
            "pairing[1].start: erwartet ein Datum der Form JJJJ-MM-TT (ohne Anführungszeichen), "
            "gefunden: Text „2022-01-01“"
        ],
    ),
    (
        "pairing start with a time",
        "start = 2022-01-01",
        "start = 2022-01-01T08:00:00",
        [
            "pairing[1].start: erwartet ein Datum der Form JJJJ-MM-TT (ohne Anführungszeichen), "
            "gefunden: Zeitpunkt"
        ],
    ),
    (
        "pairing without contacts",
        f"contacts = [{CONTACT}]",
        "contacts = []",
        ["pairing[1].contacts: Pflichtangabe fehlt (mindestens ein Eintrag)"],
    ),
    (
        "contact with a bad address",
        "l.hoffmann@awo.example.org",
        "l.hoffmann@awo",
        [
            "pairing[1].contacts[1].email: „l.hoffmann@awo“ ist keine gültige E-Mail-Adresse "
            "(„name@domain.de“)"
        ],
    ),
    (
        "contact with an unknown key",
        'name = "Lena Hoffmann"',
        'nme = "Lena Hoffmann"',
        [
            "pairing[1].contacts[1].nme: unbekannter Schlüssel (meinten Sie „name“?)",
            "pairing[1].contacts[1].name: Pflichtangabe fehlt",
        ],
    ),
    (
        "tandem with one contact",
        "start = 2022-01-01",
        "start = 2022-01-01\ntandem = true",
        [
            "pairing[1].contacts: ein Tandem braucht mindestens zwei Kontakte "
            "(Hansestadt und Träger)"
        ],
    ),
    (
        "cap as a float",
        "",
        "[verwendungsnachweis]\nsachkosten_max = 7000.0",
        [
            "verwendungsnachweis.sachkosten_max: erwartet eine Dezimalzahl als Text mit Punkt, "
            "z. B. „7000.00“, gefunden: eine Kommazahl ohne Anführungszeichen"
        ],
    ),
    (
        "cap with a German comma",
        "",
        '[verwendungsnachweis]\ngemeinwesenarbeit_max = "6.000,00"',
        [
            "verwendungsnachweis.gemeinwesenarbeit_max: erwartet eine Dezimalzahl als Text "
            "mit Punkt, z. B. „7000.00“, gefunden: „6.000,00“"
        ],
    ),
    (
        "share above one",
        "",
        '[verwendungsnachweis]\nverwaltung_max_anteil = "13"',
        [
            "verwendungsnachweis.verwaltung_max_anteil: 13 ist nicht erlaubt "
            "(muss zwischen 0 und 1 (Anteil, 0.13 = 13 %) sein)"
        ],
    ),
    (
        "negative cap",
        "",
        '[verwendungsnachweis]\nsachkosten_max = "-1"',
        ["verwendungsnachweis.sachkosten_max: -1 ist nicht erlaubt (muss mindestens 0 sein)"],
    ),
    (
        "retention below ten years",
        "",
        "[verwendungsnachweis]\naufbewahrung_jahre = 5",
        ["verwendungsnachweis.aufbewahrung_jahre: 5 ist nicht erlaubt (muss mindestens 10 sein)"],
    ),
]


@pytest.mark.parametrize(("old", "new", "expected"), [c[1:] for c in CASES],
                         ids=[c[0] for c in CASES])  # fmt: skip
def test_each_bad_value_is_reported_with_its_key_path(
    tmp_path: Path, old: str, new: str, expected: list[str]
) -> None:
    found = problems_of(tmp_path, edited(old, new))
    assert found == [line.format(base=tmp_path.resolve()) for line in expected]


GOOD_EDITS = [
    ("sender with a display name", "", '[mail]\nfrom = "Stadt Lüneburg <info@example.org>"'),
    ("plain sender", "", '[mail]\nfrom = "info@example.org"'),
    ("send time as a TOML time", "", "[calendar]\nsend_time = 07:45:00"),
    ("holidays without subdivision", "", '[calendar]\nholidays = { country = "AT" }'),
    ("digest in lower case", "", '[policy]\ndigest = "fri"'),
    ("empty policy lists", "", "[policy]\nremind_before_days = []\nescalate_after_days = []"),
    ("escalation on the due day", "", "[policy]\nescalate_after_days = [0, 7]"),
    ("no prerequisites", 'type = "report"', 'type = "report"\nrequires = []'),
    (
        "handover the day after the end",
        f"contacts = [{CONTACT}]",
        f"contacts = [{CONTACT}]\nend = 2023-12-31\n" + SECOND_PAIRING.format(start="2024-01-01"),
    ),
    (
        "another Angebot in the same Stadtteil",
        "",
        SECOND_PAIRING.format(start="2022-01-01") + 'angebot = "Stadtteilmütter"',
    ),
    (
        "another Handlungsfeld in the same Stadtteil",
        "",
        SECOND_PAIRING.format(start="2022-01-01") + 'handlungsfeld = "Jugendarbeit"',
    ),
    (
        "caps as strings and integers",
        "",
        '[verwendungsnachweis]\nsachkosten_max = "6500.50"\ngemeinwesenarbeit_max = 6000',
    ),
    ("leap day as a due date", 'due = "12-31"', 'due = "02-29"'),
    (
        "contacts as an array of tables",
        f"contacts = [{CONTACT}]",
        '[[pairing.contacts]]\nname = "Lena Hoffmann"\nemail = "l.hoffmann@awo.example.org"',
    ),
    ("a year offset before the cycle year", 'opens = "01-01"', 'opens = "-1-11-01"'),
]


@pytest.mark.parametrize(("old", "new"), [c[1:] for c in GOOD_EDITS],
                         ids=[c[0] for c in GOOD_EDITS])  # fmt: skip
def test_valid_variants_load_without_problems(tmp_path: Path, old: str, new: str) -> None:
    assert problems_of(tmp_path, edited(old, new)) == []


def test_stage_overrides_and_the_default_chain_are_read(tmp_path: Path) -> None:
    text = edited('type = "report"', 'type = "report"\nremind_before_days = []')
    (tmp_path / "config.toml").write_text(text, encoding="utf-8")
    settings = load(tmp_path / "config.toml", {})
    auftakt, bericht = settings.stages
    assert bericht.requires == ("auftakt",) and bericht.remind_before_days == ()
    assert settings.policy.series_for(bericht).remind_before_days == ()
    assert settings.policy.series_for(auftakt).remind_before_days == (28, 7)


def test_many_problems_in_one_file_are_all_listed_in_file_order(tmp_path: Path) -> None:
    text = (
        edited('due = "12-31"', 'due = "13-45"')
        .replace('traeger = "awo"', 'traeger = "xyz"')
        .replace("start = 2022-01-01", "start = 2022-01-01\nend = 2020-01-01")
        + '\n[policy]\nremind_before_days = "28"\n[mail.smpt]\nhost = "x"\n'
    )
    assert problems_of(tmp_path, text) == [
        "mail.smpt: unbekannter Schlüssel (meinten Sie „smtp“?)",
        "stage[2].due: „13-45“ ist kein gültiges Datum",
        "policy.remind_before_days: erwartet eine Liste ganzer Zahlen, gefunden: Text „28“",
        "pairing[1].traeger: unbekannter Träger „xyz“",
        "pairing[1].end: Ende 01.01.2020 liegt vor dem Beginn 01.01.2022",
    ]


def test_a_reference_to_an_invalid_traeger_is_not_reported_twice(tmp_path: Path) -> None:
    text = edited('leitung = "Sabine Behrens"\n', "")
    assert problems_of(tmp_path, text) == ["traeger[1].leitung: Pflichtangabe fehlt"]


SYNTAX_CASES = [
    (
        'name = "Koordinierungsstelle Stadtteilarbeit"',
        "name = Koordinierungsstelle",
        "in Zeile 3, Spalte 8: ungültiger Wert (Texte brauchen Anführungszeichen)",
    ),
    (
        'name = "Koordinierungsstelle Stadtteilarbeit"',
        'name "Koordinierung"',
        "in Zeile 3, Spalte 6: nach dem Schlüssel fehlt „=“",
    ),
    (
        'name = "Koordinierungsstelle Stadtteilarbeit"',
        'name = "Koordinierung',
        "in Zeile 3, Spalte 22: unzulässiges Zeichen im Text (fehlt ein schließendes "
        "Anführungszeichen?)",
    ),
    (
        'email = "koordinierung@example.org"',
        'name = "doppelt"',
        "in Zeile 4, Spalte 17: Schlüssel ist doppelt",
    ),
    (
        "start = 2022-01-01",
        "start = 2022-13-01",
        "in Zeile 34, Spalte 13: nach dem Wert folgt noch etwas in derselben Zeile",
    ),
    ("contacts = [", "contacts = [[", "am Dateiende: Liste nicht geschlossen (fehlt „]“?)"),
    ("[[traeger]]", "[[traeger]", "in Zeile 20, Spalte 10: nach dem Tabellennamen fehlt „]]“"),
]


@pytest.mark.parametrize(("old", "new", "expected"), SYNTAX_CASES)
def test_toml_syntax_errors_are_reported_in_german_with_line_and_column(
    tmp_path: Path, old: str, new: str, expected: str
) -> None:
    found = problems_of(tmp_path, edited(old, new))
    assert len(found) == 1
    assert found[0].startswith(f"{tmp_path / 'config.toml'}: TOML-Syntaxfehler ")
    assert expected in found[0]


def test_a_missing_file_is_reported_in_german(tmp_path: Path) -> None:
    with pytest.raises(ConfigError) as caught:
        load(tmp_path / "fehlt.toml", {})
    assert caught.value.problems == [
        f"{tmp_path / 'fehlt.toml'}: Konfigurationsdatei nicht gefunden"
    ]


def test_a_file_that_is_not_utf8_is_reported_in_german(tmp_path: Path) -> None:
    (tmp_path / "config.toml").write_bytes(MINIMAL.replace("ä", "\xe4").encode("latin-1"))
    with pytest.raises(ConfigError) as caught:
        load(tmp_path / "config.toml", {})
    assert caught.value.problems == [
        f"{tmp_path / 'config.toml'}: Zeile 9 ist nicht UTF-8-kodiert; bitte die Datei als UTF-8 "
        "speichern"
    ]


LITERALS = ['"x"', '""', "-1", "0", "1.5", "true", "2024-01-01", "2024-01-01T08:00:00",
            "08:00:00", "[]", '[1, "a"]', "{}", "{ a = 1 }", '"13-45"', '"a@b"']  # fmt: skip
LINES = sorted({line for line in MINIMAL.splitlines() if re.match(r"^\w+ = ", line)})
PROBLEM_LINE = re.compile(r"^[\w$][\w.\[\]-]*: \S")


@pytest.mark.parametrize("line", LINES)
def test_any_value_in_any_place_gives_settings_or_german_problems_never_a_crash(
    tmp_path: Path, line: str
) -> None:
    key = line.split(" = ")[0]
    for literal in LITERALS:
        found = problems_of(tmp_path, MINIMAL.replace(line, f"{key} = {literal}", 1))
        for problem in found:
            assert PROBLEM_LINE.match(problem), problem
            assert not re.search(r"Error|Traceback|NoneType|<class|object at", problem), problem
