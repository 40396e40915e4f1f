"""Documents wired into zyklus, end to end through the CLI (issue 4).

Submitting a Jahresbericht or a Verwendungsnachweis checks it first; the reports re-create the
documents from the stored data and evidence files.
"""

from __future__ import annotations

import contextlib
import io
import json
import shutil
from collections.abc import Callable
from pathlib import Path

import docx
import pypdf
import pytest

from cycle.cli.main import main
from cycle.documents import OUTLINE
from tests.conftest import ROOT, Result, Run

History = Callable[[str], None]

DATA = ROOT / "tests" / "data" / "documents"
VN_OK = DATA / "verwendungsnachweis-2026.toml"
VN_BAD = DATA / "verwendungsnachweis-fehlerhaft.toml"
JB_FILLED = DATA / "jahresbericht-2026.md"
SUBMIT_VN = "2027-05-25T09:00"


def _ok(result: object) -> None:
    assert getattr(result, "code", None) == 0, getattr(result, "err", "")


def _meetings_held(zyklus: Run, *pairings: str) -> None:
    """Auftaktgespräch, Fachtag (joint) and Auswertungsgespräch held in 2026."""
    _ok(zyklus("init", now="2026-01-05T09:00"))
    people = {0: "A. Muster, B. Beispiel", 1: "C. Probe, D. Test, E. Fall"}
    for i, pairing in enumerate(pairings):
        _ok(
            zyklus(
                *("complete", pairing, "2026", "auftaktgespraech", "--on", f"2026-03-{10 + i}"),
                *("--participants", people[i % 2]),
                now="2026-03-20T09:00",
            )
        )
    _ok(
        zyklus(
            *("schedule", ",".join(pairings), "2026", "fachtag"),
            *("--at", "2026-06-15T09:30", "--location", "Rathaus"),
            now="2026-05-01T09:00",
        )
    )
    for i, pairing in enumerate(pairings):
        _ok(
            zyklus(
                *("complete", pairing, "2026", "fachtag", "--on", "2026-06-15"),
                *("--participants", str(12 - 4 * i)),
                now="2026-06-16T09:00",
            )
        )
    _ok(
        zyklus(
            *("complete", pairings[0], "2026", "auswertungsgespraech", "--on", "2026-11-20"),
            *("--participants", "4"),
            now="2026-11-21T09:00",
        )
    )
    for pairing in pairings[1:]:
        waive = ("waive", pairing, "2026", "auswertungsgespraech", "--reason", "Krankheit")
        _ok(zyklus(*waive, now="2026-11-21T09:00"))


def _report_accepted(zyklus: Run) -> None:
    _ok(zyklus("submit", "kaltenmoor", "2026", "jahresbericht", str(JB_FILLED), now="2026-12-01"))
    _ok(zyklus("accept", "kaltenmoor", "2026", "jahresbericht", now="2026-12-02T09:00"))


@pytest.fixture(scope="module")
def snapshots(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    """The ``var`` folder after the common histories, built once per module through the CLI."""
    base = tmp_path_factory.mktemp("histories")
    shutil.copy(ROOT / "config.toml", base / "config.toml")
    shutil.copytree(ROOT / "vorlagen", base / "vorlagen")

    def run(*args: str, now: str | None = None) -> Result:
        argv = ["--config", str(base / "config.toml"), *(["--now", now] if now else [])]
        out, err = io.StringIO(), io.StringIO()
        with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
            code = main([*argv, *args])
        return Result(code, out.getvalue(), err.getvalue())

    histories = {  # (fresh database?, steps)
        "held": (True, lambda: _meetings_held(run, "kaltenmoor")),
        "accepted": (False, lambda: _report_accepted(run)),  # continues "held"
        "held_two": (True, lambda: _meetings_held(run, "kaltenmoor", "bockelsberg")),
    }
    saved = {}
    with pytest.MonkeyPatch.context() as env:
        for name in ("ZYKLUS_DATABASE_URL", "ZYKLUS_NOW", "ZYKLUS_CONFIG", "FORCE_COLOR"):
            env.delenv(name, raising=False)
        env.setenv("ZYKLUS_USER", "test")
        for name, (fresh, steps) in histories.items():
            if fresh:
                shutil.rmtree(base / "var", ignore_errors=True)
            steps()
            saved[name] = shutil.copytree(base / "var", base / "snapshots" / name)
    return saved


@pytest.fixture
def history(workspace: Path, snapshots: dict[str, Path]) -> Callable[[str], None]:
    """Start the test's workspace from a saved history: ``held``, ``accepted``, ``held_two``."""

    def restore(name: str) -> None:
        shutil.copytree(snapshots[name], workspace / "var")

    return restore


def _stage(zyklus: Run, stage: str, now: str, pairing: str = "kaltenmoor") -> dict:
    result = zyklus("status", "--year", "2026", "--format", "json", now=now)
    cycle = next(c for c in json.loads(result.out)["cycles"] if c["pairing"] == pairing)
    return {"state": cycle["state"], **cycle["stages"][stage]}


def _audit(zyklus: Run, action: str, stage: str) -> list[dict]:
    listing = zyklus("audit", "--pairing", "kaltenmoor", "--format", "json", now="2027-06-01")
    entries = json.loads(listing.out)
    return [e for e in entries if e["action"] == action and e["stage"] == stage]


def _evidence_files(workspace: Path) -> set[str]:
    return {p.name for p in (workspace / "var" / "evidence").glob("*/*")}


# --- Verwendungsnachweis ------------------------------------------------------------------------


def test_a_correct_verwendungsnachweis_is_accepted_and_the_sign_off_chain_closes_the_cycle(
    zyklus: Run, history: History
):
    history("accepted")
    submitted = zyklus(
        "submit", "kaltenmoor", "2026", "verwendungsnachweis", str(VN_OK), now=SUBMIT_VN
    )
    assert submitted.code == 0, submitted.err
    assert "offen → eingereicht" in submitted.out
    assert "Kostensumme 98.000,00 €, Differenz 500,00 €" in submitted.out
    assert _stage(zyklus, "verwendungsnachweis", SUBMIT_VN)["status"] == "eingereicht"
    summary = _audit(zyklus, "submit", "verwendungsnachweis")[0]["payload"]["verwendungsnachweis"]
    assert (summary["zuschuss"], summary["kostensumme"], summary["differenz"]) == (
        "98000.00",
        "98000.00",
        "500.00",
    )
    assert summary["aufbewahren_bis"] == "2036-12-31"
    # four eyes: the operator "test" submitted; another person checks, a third acknowledges
    steps = (("check", "26", "K. Koordinator"), ("acknowledge", "27", "S. Leitung"))
    for event, day, by in (*steps, ("file", "28", "Ablage")):
        args = (event, "kaltenmoor", "2026", "verwendungsnachweis", "--by", by)
        _ok(zyklus(*args, now=f"2027-05-{day}T09:00"))
    stage = _stage(zyklus, "verwendungsnachweis", "2027-05-28T09:00")
    assert (stage["state"], stage["status"], stage["done_on"]) == (
        "abgeschlossen",
        "abgelegt",
        "2027-05-28",
    )
    record = zyklus("report", "abschluss", "kaltenmoor", "2026", now="2027-05-28T09:00")
    assert record.code == 0, record.err
    assert "Stand: abgeschlossen" in record.out
    for text in ("verwendungsnachweis-2026.toml", "jahresbericht-2026.md", "ablegen 28.05.2027"):
        assert text in record.out


def test_a_verwendungsnachweis_breaking_three_rules_is_refused_naming_each_field(
    zyklus: Run, workspace: Path, history: History
):
    history("accepted")
    stored_before = _evidence_files(workspace)
    refused = zyklus(
        "submit", "kaltenmoor", "2026", "verwendungsnachweis", str(VN_BAD), now=SUBMIT_VN
    )
    assert refused.code == 1
    lines = refused.err.strip().splitlines()
    assert lines == [
        "Fehler: verwaltungskosten: 10.640,00 € übersteigen 13 % der Personalkosten "
        "(höchstens 9.880,00 €)",
        "Fehler: angebote: die Aufteilung ergibt 5.000,00 €, angegeben sind 5.620,00 € "
        "(Gemeinwesenarbeit)",
        "Fehler: erlaeuterung: die Differenz von -760,00 € muss erläutert werden",
    ]
    assert _stage(zyklus, "verwendungsnachweis", SUBMIT_VN)["status"] == "offen"
    assert _evidence_files(workspace) == stored_before
    assert _audit(zyklus, "submit", "verwendungsnachweis") == []


def test_a_verwendungsnachweis_that_is_not_the_toml_template_is_refused(
    zyklus: Run, tmp_path: Path, history: History
):
    history("accepted")
    scan = tmp_path / "verwendungsnachweis.pdf"
    scan.write_bytes(b"%PDF-1.4 scan")
    refused = zyklus(
        "submit", "kaltenmoor", "2026", "verwendungsnachweis", str(scan), now=SUBMIT_VN
    )
    assert refused.code == 1
    assert "TOML-Vorlage" in refused.err and "Traceback" not in refused.err


def test_the_verwendungsnachweis_report_is_refused_before_anything_was_submitted(zyklus: Run):
    _ok(zyklus("init", now="2026-01-05T09:00"))
    result = zyklus("report", "verwendungsnachweis", "kaltenmoor", "2026", now="2026-02-01T09:00")
    assert result.code == 1
    assert "noch kein Verwendungsnachweis eingereicht" in result.err


def test_the_verwendungsnachweis_report_shows_the_form_and_the_recorded_sign_offs(
    zyklus: Run, tmp_path: Path, history: History
):
    history("accepted")
    _ok(zyklus("submit", "kaltenmoor", "2026", "verwendungsnachweis", str(VN_OK), now=SUBMIT_VN))
    check = ("check", "kaltenmoor", "2026", "verwendungsnachweis", "--by", "K. Koordinator")
    _ok(zyklus(*check, now=SUBMIT_VN))
    markdown = zyklus("report", "verwendungsnachweis", "kaltenmoor", "2026", now=SUBMIT_VN)
    assert markdown.code == 0, markdown.err
    assert "| Kostensumme | 98.000,00 € |" in markdown.out
    assert "| Differenz +/- | 500,00 € |" in markdown.out
    assert "Spende des Bürgervereins" in markdown.out
    assert "eingereicht am 25.05.2027" in markdown.out
    assert "Klosterhof  \n21335 Lüneburg" in markdown.out  # the address field from the config
    assert "rechnerisch geprüft | 25.05.2027 | K. Koordinator" in markdown.out
    assert "zur Kenntnis genommen: offen" in markdown.out
    html_file = tmp_path / "vn.html"
    args = ("report", "verwendungsnachweis", "kaltenmoor", "2026", "--format", "html")
    written = zyklus(*args, "--output", str(html_file), now=SUBMIT_VN)
    assert written.code == 0 and f"Geschrieben: {html_file}" in written.out
    html = html_file.read_text(encoding="utf-8")
    assert html.lstrip().lower().startswith("<!doctype html") and "98.000,00 €" in html


def test_the_verwendungsnachweis_pdf_has_the_amounts_and_the_retention_date(
    zyklus: Run, tmp_path: Path, history: History
):
    history("accepted")
    _ok(zyklus("submit", "kaltenmoor", "2026", "verwendungsnachweis", str(VN_OK), now=SUBMIT_VN))
    target = tmp_path / "x.pdf"
    args = ("report", "verwendungsnachweis", "kaltenmoor", "2026", "--format", "pdf")
    result = zyklus(*args, "--output", str(target), now=SUBMIT_VN)
    assert result.code == 0, result.err
    text = "\n".join(page.extract_text() for page in pypdf.PdfReader(target).pages)
    for amount in ("98.000,00", "76.000,00", "9.880,00", "5.620,00", "500,00"):
        assert amount in text
    assert "31.12.2036" in text


def test_binary_formats_need_an_output_file(zyklus: Run):
    _ok(zyklus("init", now="2026-01-05T09:00"))
    pdf = zyklus(
        "report", "verwendungsnachweis", "kaltenmoor", "2026", "--format", "pdf", now="2026-02-01"
    )
    assert pdf.code == 2 and "--output verwendungsnachweis-kaltenmoor-2026.pdf" in pdf.err
    word = zyklus(
        "report", "jahresbericht", "kaltenmoor", "2026", "--format", "docx", now="2026-02-01"
    )
    assert word.code == 2 and "--output" in word.err and word.out == ""


# --- Jahresbericht ------------------------------------------------------------------------------


def test_the_jahresbericht_skeleton_has_every_heading_of_anlage_1_and_the_meetings(
    zyklus: Run, history: History
):
    history("held")
    result = zyklus("report", "jahresbericht", "kaltenmoor", "2026", now="2026-11-21T09:00")
    assert result.code == 0, result.err
    headings = [line.lstrip("#").strip() for line in result.out.splitlines() if line[:1] == "#"]
    assert [h for h in headings if h in {a.ueberschrift for a in OUTLINE}] == [
        a.ueberschrift for a in OUTLINE
    ]
    for row in (
        "| Auftaktgespräch | 10.03.2026 | durchgeführt |",
        "| Fachtag | 15.06.2026 | durchgeführt |",
        "| Auswertungsgespräch | 20.11.2026 | durchgeführt |",
        "| Name Stadtteil- und Quartiersmanagement | Lena Hoffmann |",
        "| Sitz der Geschäftsstelle | Lüneburg |",
    ):
        assert row in result.out


def test_the_docx_skeleton_has_every_heading_of_anlage_1(zyklus: Run, tmp_path: Path):
    _ok(zyklus("init", now="2026-01-05T09:00"))
    target = tmp_path / "bericht.docx"
    args = ("report", "jahresbericht", "kaltenmoor", "2026", "--format", "docx")
    result = zyklus(*args, "--output", str(target), now="2026-01-05T09:00")
    assert result.code == 0, result.err
    document = docx.Document(io.BytesIO(target.read_bytes()))
    headings = {p.text for p in document.paragraphs if p.style.name.startswith("Heading")}
    assert {a.ueberschrift for a in OUTLINE} <= headings


def test_submitting_the_unchanged_skeleton_lists_the_empty_sections(
    zyklus: Run, tmp_path: Path, history: History
):
    history("held")
    skeleton = tmp_path / "jahresbericht.md"
    report = ("report", "jahresbericht", "kaltenmoor", "2026", "--output", str(skeleton))
    _ok(zyklus(*report, now="2026-11-21T09:00"))
    refused = zyklus(
        "submit", "kaltenmoor", "2026", "jahresbericht", str(skeleton), now="2026-12-01"
    )
    assert refused.code == 1
    empty = [a for a in OUTLINE if a.eigener_inhalt and a.nummer != "1"]
    for a in empty:
        assert f"Abschnitt {a.nummer} „{a.titel}“ ist leer" in refused.err
    assert refused.err.count("ist leer") == len(empty)
    assert "--trotzdem" in refused.err
    assert _stage(zyklus, "jahresbericht", "2026-12-01T09:00")["status"] == "offen"


def test_with_trotzdem_the_skeleton_is_stored_and_the_gaps_are_in_the_audit_payload(
    zyklus: Run, tmp_path: Path, history: History
):
    history("held")
    skeleton = tmp_path / "jahresbericht.docx"
    report = ("report", "jahresbericht", "kaltenmoor", "2026", "--format", "docx")
    _ok(zyklus(*report, "--output", str(skeleton), now="2026-11-21T09:00"))
    submit = ("submit", "kaltenmoor", "2026", "jahresbericht", str(skeleton), "--trotzdem")
    stored = zyklus(*submit, now="2026-12-01T09:00")
    assert stored.code == 0, stored.err
    assert "trotz 10 fehlender oder leerer Abschnitte" in stored.out
    assert _stage(zyklus, "jahresbericht", "2026-12-01T09:00")["status"] == "eingereicht"
    payload = _audit(zyklus, "submit", "jahresbericht")[0]["payload"]
    assert payload["datei"] == "jahresbericht.docx"
    assert {"nummer": "2.2", "titel": "Herausforderungen im Stadtteil", "grund": "leer"} in (
        payload["luecken"]
    )
    assert len(payload["luecken"]) == 10


def test_a_filled_jahresbericht_passes_the_outline_check(zyklus: Run, history: History):
    history("held")
    result = zyklus(
        "submit", "kaltenmoor", "2026", "jahresbericht", str(JB_FILLED), now="2026-12-01"
    )
    assert result.code == 0, result.err
    payload = _audit(zyklus, "submit", "jahresbericht")[0]["payload"]
    assert (payload["gliederung_geprueft"], payload["luecken"]) == (True, [])


def test_a_pdf_jahresbericht_is_stored_unchecked_with_a_note(
    zyklus: Run, tmp_path: Path, history: History
):
    history("held")
    pdf = tmp_path / "bericht.pdf"
    pdf.write_bytes(b"%PDF-1.4 Bericht")
    result = zyklus("submit", "kaltenmoor", "2026", "jahresbericht", str(pdf), now="2026-12-01")
    assert result.code == 0, result.err
    assert "Hinweis" in result.out and "nur bei Markdown (.md) und Word (.docx)" in result.out
    payload = _audit(zyklus, "submit", "jahresbericht")[0]["payload"]
    assert payload["gliederung_geprueft"] is False


def test_a_docx_that_is_no_word_file_is_refused(zyklus: Run, tmp_path: Path, history: History):
    history("held")
    fake = tmp_path / "bericht.docx"
    fake.write_bytes(b"kein Word")
    result = zyklus("submit", "kaltenmoor", "2026", "jahresbericht", str(fake), now="2026-12-01")
    assert result.code == 1
    assert "kein lesbares DOCX-Dokument" in result.err
    assert _stage(zyklus, "jahresbericht", "2026-12-01T09:00")["status"] == "offen"


# --- Bündelung ----------------------------------------------------------------------------------


def test_the_buendelung_states_the_counts_the_period_and_the_joint_fachtag(
    zyklus: Run, history: History
):
    history("held_two")
    result = zyklus(
        "report", "buendelung", "2026", "--handlungsfeld", "Stadtteilmanagement", now="2026-12-01"
    )
    assert result.code == 0, result.err
    out = result.out
    assert "## Handlungsfeld: Stadtteilmanagement" in out
    assert "| Zeitraum | 10.03.2026 – 20.11.2026 |" in out
    # Auftakt ×2, one joint Fachtag, one Auswertung (the other was waived)
    assert "| Anzahl Gespräche / Träger / Angebote | 4 Gespräche / 2 Träger / 2 Angebote |" in out
    # participants: 2 + 3 + (12 + 8 at the Fachtag) + 4
    assert "3,5 Std. × 29 Teilnehmende (4 Gespräche) = 101,5 Stunden" in out
    assert "| 15.06.2026 | Fachtag | Bockelsberg" in out and "| 20 | 3,5 × 20 = 70,0 |" in out
    assert "Auftaktgespräch: Leitfaden „Auftaktgespräch (1. Wirksamkeitsdialog)“" in out


def test_the_buendelung_of_a_year_without_dialogues_says_so_and_unknown_fields_are_usage_errors(
    zyklus: Run, tmp_path: Path
):
    _ok(zyklus("init", now="2026-01-05T09:00"))
    target = tmp_path / "buendelung.md"
    result = zyklus("report", "buendelung", "2026", "--output", str(target), now="2026-02-01")
    assert result.code == 0, result.err
    assert "Für 2026 sind keine geführten Gespräche erfasst." in target.read_text(encoding="utf-8")
    unknown = zyklus("report", "buendelung", "2026", "--handlungsfeld", "Kultur", now="2026-02-01")
    assert unknown.code == 2 and "Stadtteilmanagement" in unknown.err
