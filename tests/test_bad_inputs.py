"""Bad input of the campaign (issue 13, item 5): a German exit 1 or 2, never exit 3, no change."""

from __future__ import annotations

import io
import sqlite3
import zipfile
from pathlib import Path

import pytest

from tests.conftest import Result, Run

NOW = "2026-02-02T09:00"


def _state(workspace: Path) -> tuple[object, ...]:
    with sqlite3.connect(workspace / "var" / "zyklus.db") as db:
        return (
            db.execute("SELECT count(*), max(hash) FROM audit").fetchone(),
            db.execute("SELECT group_concat(status) FROM stage_state").fetchone(),
            db.execute("SELECT count(*) FROM outbox").fetchone(),
        )


def _refused(result: Result, code: int, *phrases: str) -> None:
    assert result.code == code, (result.code, result.out, result.err)
    assert "Traceback" not in result.err and "Interner Fehler" not in result.err
    for phrase in phrases:
        assert phrase in result.err, result.err


@pytest.fixture
def ready(zyklus: Run, workspace: Path) -> Path:
    assert zyklus("init", now="2026-01-05T07:00").code == 0
    return workspace


@pytest.mark.parametrize("now", ["0001-01-01", "9999-12-31", "1999-12-31", "2101-01-01T08:00"])
def test_now_outside_2000_to_2100_is_refused(zyklus: Run, ready: Path, now: str) -> None:
    before = _state(ready)
    _refused(zyklus("tick", now=now), 2, "--now", "außerhalb der Jahre 2000 bis 2100")
    assert _state(ready) == before


def test_now_from_the_environment_is_checked_too(
    zyklus: Run, ready: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("ZYKLUS_NOW", "9999-12-31")
    _refused(zyklus("status"), 2, "außerhalb der Jahre 2000 bis 2100")


@pytest.mark.parametrize(
    "args",
    [
        ("extend", "kaltenmoor", "2026", "auftaktgespraech", "--until", "0001-01-01"),
        ("schedule", "kaltenmoor", "2026", "auftaktgespraech", "--at", "9999-12-31T10:00"),
        ("simulate", "--from", "2026-01-01", "--to", "9999-12-31"),
        ("outbox", "retry", "99999999999999999999"),
        ("outbox", "retry", "²"),
        ("status", "--year", "99999999999999999999999"),
    ],
)
def test_out_of_range_arguments_are_usage_errors(
    zyklus: Run, ready: Path, args: tuple[str, ...]
) -> None:
    before = _state(ready)
    extra = ("--reason", "x") if args[0] == "extend" else ()
    _refused(zyklus(*args, *extra, now=NOW), 2, "Fehler")
    assert _state(ready) == before


def _config(workspace: Path, old: str, new: str) -> None:
    path = workspace / "config.toml"
    text = path.read_text(encoding="utf-8")
    assert old in text
    path.write_text(text.replace(old, new, 1), encoding="utf-8")


@pytest.mark.parametrize(
    ("old", "new", "phrase"),
    [
        ("remind_before_days = [28, 7]", "remind_before_days = [99999999999, 7]", "3650 Tage"),
        ("escalate_after_days = [1, 14]", "escalate_after_days = [1, 10000000]", "3650 Tage"),
        ("retry_base_seconds = 60", "retry_base_seconds = 1000000000000000000000", "22 Stellen"),
        ('key_env = "ZYKLUS_AUDIT_KEY"', 'key_env = "ZYKLUS AUDIT"', "kein Variablenname"),
        ("[portal]", "[betrieb]\nstart = 0001-01-01\n[portal]", "außerhalb der Jahre"),
        ("[portal]", "deep = " + "[" * 3000 + "]" * 3000 + "\n[portal]", "zu tief"),
        ("[portal]", "deep = " + "{a=" * 3000 + "1" + "}" * 3000 + "\n[portal]", "zu tief"),
        ("[portal]", "[portal\n", "TOML-Syntaxfehler in Zeile"),
    ],
    ids=["remind", "escalate", "retry", "key_env", "start", "arrays", "inline", "syntax"],
)
def test_bad_config_values_are_german_usage_errors_and_change_nothing(
    zyklus: Run, ready: Path, old: str, new: str, phrase: str
) -> None:
    before = _state(ready)
    _config(ready, old, new)
    _refused(zyklus("tick", now=NOW), 2, phrase)
    assert _state(ready) == before


@pytest.mark.parametrize(
    ("url", "phrase"),
    [
        ("nonsense://foo", "unbekannte Datenbankart"),
        ("postgresql+gibtsnicht://u@h/db", "unbekannter Treiber"),
        ("mysql://u@h/db", "ist nicht installiert"),
        ("sqlite:////proc/nicht/moeglich/x.db", "Datenbank"),
    ],
)
def test_an_unusable_database_url_is_a_usage_error(
    zyklus: Run, workspace: Path, monkeypatch: pytest.MonkeyPatch, url: str, phrase: str
) -> None:
    monkeypatch.setenv("ZYKLUS_DATABASE_URL", url)
    _refused(zyklus("status", now=NOW), 2, phrase)


def _scenario(workspace: Path, text: str) -> Path:
    path = workspace / "szenario.toml"
    path.write_text(text, encoding="utf-8")
    return path


@pytest.mark.parametrize(
    ("text", "phrase"),
    [
        (
            '[[event]]\non = 2026-02-03\ncommand = "waive"\npairing = "kaltenmoor"\n'
            'year = "zwanzig"\nstage = "fachtag"\nreason = 5\n',
            "event[1].year: erwartet eine Jahreszahl",
        ),
        (
            '[[event]]\non = 2026-02-03\ncommand = "extend"\npairing = "kaltenmoor"\n'
            'year = 2026\nstage = "fachtag"\nuntil = true\nreason = "x"\n',
            "event[1].until: erwartet ein Datum",
        ),
        (
            '[[event]]\non = 2026-02-03\ncommand = "schedule"\npairing = ["a"]\n'
            'year = 2026\nstage = "fachtag"\nat = 5\n',
            "event[1].at: erwartet ein Zeitpunkt",
        ),
        (
            '[[event]]\non = 2026-02-03\ncommand = "complete"\npairing = "kaltenmoor"\n'
            'year = 2026\nstage = "fachtag"\nparticipants = {a = 1}\n',
            "event[1].participants",
        ),
        (
            '[[event]]\non = 9999-12-31\ncommand = "waive"\npairing = "kaltenmoor"\n'
            'year = 2026\nstage = "fachtag"\nreason = "x"\n',
            "event[1].on",
        ),
        ("event = [1, 2]\n", "event[1]: erwartet eine [[event]]-Tabelle"),
        ('[[event]]\ncommand = ["waive"]\n', "ist kein Ereignis"),
        ("[[event]\n", "TOML-Syntaxfehler in Zeile 1, Spalte"),
        ("x = " + "[" * 2000 + "]" * 2000 + "\n", "zu tief"),
    ],
    ids=["year", "until", "at", "participants", "on", "not-a-table", "command", "syntax", "deep"],
)
def test_scenario_values_of_the_wrong_type_are_usage_errors(
    zyklus: Run, ready: Path, text: str, phrase: str
) -> None:
    path = _scenario(ready, text)
    result = zyklus(
        "simulate", "--from", "2026-02-02", "--to", "2026-02-10", "--scenario", str(path), now=NOW
    )
    _refused(result, 2, phrase)


def _docx(parts: dict[str, bytes]) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, data in parts.items():
            archive.writestr(name, data)
    return buffer.getvalue()


CONTENT_TYPES = (
    b'<?xml version="1.0"?><Types xmlns="http://schemas.openxmlformats.org/package/2006/'
    b'content-types"><Default Extension="xml" ContentType="application/xml"/></Types>'
)


@pytest.mark.parametrize(
    ("data", "phrase"),
    [
        (_docx({"[Content_Types].xml": CONTENT_TYPES, "word/document.xml": b"<w:document"}), ""),
        (_docx({"[Content_Types].xml": b"<<kaputt"}), ""),
        (_docx({"word/document.xml": b"<a>" + b" " * (80 * 1024 * 1024) + b"</a>"}), "64 MB"),
        (b"PK\x03\x04 kein zip", ""),
    ],
    ids=["broken-xml", "broken-types", "zip-bomb", "not-a-zip"],
)
def test_an_unreadable_docx_report_is_refused_in_german(
    zyklus: Run, ready: Path, data: bytes, phrase: str
) -> None:
    for stage in ("auftaktgespraech", "fachtag", "auswertungsgespraech"):
        zyklus("waive", "kaltenmoor", "2026", stage, "--reason", "Test", now=NOW)
    before = _state(ready)
    report = ready / "bericht.docx"
    report.write_bytes(data)
    result = zyklus("submit", "kaltenmoor", "2026", "jahresbericht", str(report), now=NOW)
    _refused(result, 1, "DOCX", phrase)
    assert _state(ready) == before


@pytest.mark.parametrize(
    ("text", "phrase"),
    [
        ("jahr = = 2026\n", "TOML-Syntaxfehler in Zeile 1, Spalte 8"),
        ("jahr = 99999999999999999999\n", "jahr: erwartet ein Jahr von 2000 bis 2100"),
        ("x = " + "[" * 5000 + "]" * 5000 + "\n", "zu tief"),
        ('zuschuss = "9' + "9" * 5000 + '"\n', "unplausibel groß"),
    ],
    ids=["syntax", "year", "deep", "huge-amount"],
)
def test_a_broken_verwendungsnachweis_is_refused_with_its_field(
    zyklus: Run, ready: Path, text: str, phrase: str
) -> None:
    for stage in ("auftaktgespraech", "fachtag", "auswertungsgespraech", "jahresbericht"):
        assert zyklus("waive", "kaltenmoor", "2026", stage, "--reason", "T", now=NOW).code == 0
    before = _state(ready)
    vn = ready / "vn.toml"
    vn.write_text(text, encoding="utf-8")
    result = zyklus("submit", "kaltenmoor", "2026", "verwendungsnachweis", str(vn), now=NOW)
    assert result.code in (1, 2), (result.out, result.err)
    assert phrase in result.err and "Interner Fehler" not in result.err
    assert _state(ready) == before
