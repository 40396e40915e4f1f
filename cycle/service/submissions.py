"""Checks of submitted documents before they are accepted as a submission (SPEC §10).

``check`` runs inside the submission's transaction, after the order guard: raising ``Refused``
aborts the submission and nothing is stored. What it returns goes into the stage's
``facts["einreichung"]`` and into the audit payload, so it must be JSON-safe (amounts as
strings).

- Report (Jahresbericht): Markdown and DOCX are compared with the outline of Anlage 1. Missing
  or empty sections refuse the submission, one line per section, unless ``despite_gaps``
  (``--trotzdem``): then the gaps are stored as ``luecken``. Other formats (PDF …) are stored as
  they are, with a note.
- Proof of funds (Verwendungsnachweis): the file must be the filled TOML template; every
  violated rule of Anlage 3 is listed at once. On success a compact summary is stored as
  ``verwendungsnachweis`` (the form itself is re-created from the stored file).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from pathlib import PurePath
from typing import Any

from cycle.config.settings import Settings, StageSpec, VerwendungsnachweisRules
from cycle.documents import Gap, UnlesbaresDokument, Verwendungsnachweis, check_file, euro
from cycle.documents import parse_and_validate as parse_and_validate
from cycle.errors import Problem, Refused
from workflows.stages import StageType


@dataclass(frozen=True)
class Checked:
    facts: dict[str, Any] = field(default_factory=dict)  # stored with the submission and audit
    notes: list[str] = field(default_factory=list)  # German lines for the user


def check(
    settings: Settings,
    stage: StageSpec,
    year: int,
    filename: str,
    data: bytes,
    on: date,
    despite_gaps: bool,
) -> Checked:
    """The facts to store with the submission, or ``Refused`` with every problem."""
    if stage.type is StageType.REPORT:
        return check_report(stage, filename, data, despite_gaps)
    if stage.type is StageType.PROOF_OF_FUNDS:
        return check_proof(settings.verwendungsnachweis, year, filename, data, on)
    return Checked()


def check_report(stage: StageSpec, filename: str, data: bytes, despite_gaps: bool) -> Checked:
    try:
        gaps = check_file(filename, data)
    except UnlesbaresDokument as error:
        raise Refused(Problem("upload", "unlesbar", f"{filename}: {error}")) from None
    if gaps is None:
        suffix = PurePath(filename).suffix.lower() or "ohne Endung"
        note = (
            f"Hinweis: {stage.name} als {suffix} gespeichert; die Gliederung (Anlage 1) wird nur "
            "bei Markdown (.md) und Word (.docx) geprüft."
        )
        return Checked({"gliederung_geprueft": False}, [note])
    if not gaps:
        return Checked({"gliederung_geprueft": True, "luecken": []})
    if not despite_gaps:
        raise Refused(
            *(Problem(None, "abschnitt_fehlt", gap_line(stage.name, gap)) for gap in gaps),
            Problem(
                "trotzdem",
                "luecken",
                "Bitte die Abschnitte ergänzen oder trotzdem einreichen "
                "(die Lücken werden dann protokolliert).",
            ),
        )
    listed = ", ".join(gap.nummer for gap in gaps)
    note = (
        f"Hinweis: eingereicht trotz {len(gaps)} fehlender oder leerer Abschnitte "
        f"({listed}); die Lücken sind protokolliert."
    )
    return Checked({"gliederung_geprueft": True, "luecken": [_gap_fact(g) for g in gaps]}, [note])


def gap_line(what: str, gap: Gap) -> str:
    """``Jahresbericht: Abschnitt 2.2 „Herausforderungen im Stadtteil“ ist leer`` (or ``fehlt``)."""
    state = "ist leer" if gap.grund == "leer" else "fehlt"
    return f"{what}: Abschnitt {gap.nummer} „{gap.titel}“ {state}"


def _gap_fact(gap: Gap) -> dict[str, str]:
    return {"nummer": gap.nummer, "titel": gap.titel, "grund": gap.grund}


def check_proof(
    rules: VerwendungsnachweisRules, year: int, filename: str, data: bytes, on: date
) -> Checked:
    if PurePath(filename).suffix.lower() != ".toml":
        raise Refused(
            Problem(
                "upload",
                "kein_toml",
                f"{filename}: Der Verwendungsnachweis wird als ausgefüllte TOML-Vorlage "
                "eingereicht (verwendungsnachweis-vorlage.toml, Endung .toml).",
            )
        )
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise Refused(
            Problem("upload", "kein_utf8", f"{filename}: Die Datei ist kein UTF-8-Text.")
        ) from None
    result = parse_and_validate(text, year, rules, on)
    if isinstance(result, list):
        raise Refused(*(Problem(p.field, "verwendungsnachweis", p.message) for p in result))
    note = (
        f"Verwendungsnachweis geprüft: Kostensumme {euro(result.kostensumme)}, "
        f"Differenz {euro(result.differenz)}."
    )
    return Checked({"verwendungsnachweis": summary_facts(result, rules)}, [note])


def summary_facts(vn: Verwendungsnachweis, rules: VerwendungsnachweisRules) -> dict[str, Any]:
    """A JSON-safe summary of an accepted proof: amounts as exact decimal strings."""
    amounts = {
        "zuschuss": vn.zuschuss,
        "weitere_einnahmen": vn.weitere_einnahmen,
        "einnahmen": vn.einnahmen,
        "personalkosten": vn.personalkosten,
        "verwaltungskosten": vn.verwaltungskosten,
        "sachkosten": vn.sachkosten,
        "gemeinwesenarbeit": vn.gemeinwesenarbeit,
        "kostensumme": vn.kostensumme,
        "differenz": vn.differenz,
    }
    return {
        "jahr": vn.jahr,
        **{key: str(value) for key, value in amounts.items()},
        "personal": len(vn.personal),
        "angebote": len(vn.angebote),
        "erlaeuterung": vn.erlaeuterung,
        "unterschrift": {"name": vn.unterschrift.name, "datum": vn.unterschrift.datum.isoformat()},
        "aufbewahren_bis": vn.aufbewahren_bis(rules).isoformat(),
    }
