"""``/zyklus/{pairing}/{year}/verwendungsnachweis``: the submitted figures checked on screen.

Every rule of Anlage 3 (SPEC §10) is listed with its amounts and its result; the results come
from ``cycle.documents.vn_rules.validate`` (a rule is kept when no problem names its fields),
so the page and ``zyklus submit`` can never disagree. Below: the Schlussrechnung and the
sign-off steps the user's role may take now.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from cycle.config.settings import VerwendungsnachweisRules
from cycle.documents.model import Problem, Verwendungsnachweis, VerwendungsnachweisDokument
from cycle.documents.money import cap_of, euro, percent
from cycle.documents.vn_rules import validate
from cycle.errors import UserError
from cycle.service import registry
from cycle.views.reports import submitted_proof
from cycle.web import cycle_data
from cycle.web.pages import problem_page, render, user
from cycle.webbase.pages import web
from workflows.stages import StageType


@dataclass(frozen=True)
class Rule:
    name: str
    amounts: str
    problems: tuple[str, ...]

    @property
    def ok(self) -> bool:
        return not self.problems


def _hits(problems: list[Problem], *prefixes: str) -> tuple[str, ...]:
    return tuple(
        f"{p.field}: {p.message}" for p in problems if p.field and p.field.startswith(prefixes)
    )


def rules_of(
    vn: Verwendungsnachweis, year: int, rules: VerwendungsnachweisRules, problems: list[Problem]
) -> list[Rule]:
    rows_total = sum((p.kosten for p in vn.personal), Decimal("0.00"))
    split_total = sum((a.betrag for a in vn.angebote), Decimal("0.00"))
    cap = cap_of(vn.personalkosten, rules.verwaltung_max_anteil)
    share = percent(rules.verwaltung_max_anteil)
    return [
        Rule("Berichtsjahr", f"{vn.jahr} (Zyklus {year})", _hits(problems, "jahr")),
        Rule(
            "Personalkosten = Summe der Personalzeilen",
            f"Zeilen {euro(rows_total)}, angegeben {euro(vn.personalkosten)}",
            _hits(problems, "personal", "zuschuss", "weitere_einnahmen"),
        ),
        Rule(
            f"Verwaltungskosten höchstens {share} der Personalkosten",
            f"{euro(vn.verwaltungskosten)} von höchstens {euro(cap)}",
            _hits(problems, "verwaltungskosten"),
        ),
        Rule(
            f"Sachkosten höchstens {euro(rules.sachkosten_max)}",
            euro(vn.sachkosten),
            _hits(problems, "sachkosten"),
        ),
        Rule(
            f"Stadtteilmanagementbudget höchstens {euro(rules.gemeinwesenarbeit_max)}",
            euro(vn.gemeinwesenarbeit),
            _hits(problems, "gemeinwesenarbeit"),
        ),
        Rule(
            f"Aufteilung auf Angebote (höchstens {rules.max_angebote} Zeilen) ergibt das Budget",
            f"{len(vn.angebote)} Zeilen, Summe {euro(split_total)}, "
            f"Budget {euro(vn.gemeinwesenarbeit)}",
            _hits(problems, "angebote"),
        ),
        Rule(
            "Schlussrechnung: Kostensumme und Differenz",
            f"Kostensumme {euro(vn.kostensumme)}, Differenz {euro(vn.differenz)}",
            _hits(problems, "kostensumme", "differenz"),
        ),
        Rule(
            "Erläuterung einer Differenz",
            "vorhanden" if vn.erlaeuterung.strip() else "keine",
            _hits(problems, "erlaeuterung"),
        ),
        Rule(
            "Rechtsverbindliche Unterschrift mit Datum",
            f"{vn.unterschrift.name or '–'}, {vn.unterschrift.datum:%d.%m.%Y}",
            _hits(problems, "unterschrift"),
        ),
    ]


async def page(request: Request) -> Response:
    w = web(request)
    pairing, year = str(request.path_params["pairing"]), int(request.path_params["year"])
    if pairing not in w.settings.pairings:
        return problem_page(request, 404, "Nicht gefunden", ["Diesen Zyklus gibt es nicht."])
    stage = next((s for s in w.settings.stages if s.type is StageType.PROOF_OF_FUNDS), None)
    try:
        doc: VerwendungsnachweisDokument = await run_in_threadpool(
            submitted_proof, w.app.view_context(), pairing, year
        )
    except UserError as exc:
        return problem_page(request, 404, "Kein Verwendungsnachweis", exc.lines)

    _, view = await run_in_threadpool(
        cycle_data.load_view, w.app.view_context(), pairing, year, user(request).principal
    )
    vn = doc.nachweis
    submitted = doc.eingereicht_am or w.app.today()
    problems = validate(vn, year, w.settings.verwendungsnachweis, submitted)
    stage_view = next((s for s in view.stages if stage and s.spec.id == stage.id), None)
    sign_off = [
        e
        for e in (stage_view.events if stage_view else [])
        if e in ("check", "acknowledge", "file", "return")
    ]
    context = {
        "title": f"Verwendungsnachweis {year} · {doc.stadtteil}",
        "doc": doc,
        "vn": vn,
        "year": year,
        "pairing": pairing,
        "rules": rules_of(vn, year, w.settings.verwendungsnachweis, problems),
        "euro": euro,
        "stage": stage_view,
        "sign_off": sign_off,
        "events": registry.BY_NAME,
        "retention": vn.aufbewahren_bis(w.settings.verwendungsnachweis),
    }
    return render(request, "vn.html", context)


ROUTES = [Route("/zyklus/{pairing}/{year:jahr}/verwendungsnachweis", page, methods=["GET"])]
