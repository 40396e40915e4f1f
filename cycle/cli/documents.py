"""``zyklus report …``: build the document in ``cycle.views``, print it or write ``--output``."""

from __future__ import annotations

import argparse
from collections.abc import Callable
from typing import TYPE_CHECKING

from cycle.cli import output
from cycle.errors import UsageError

if TYPE_CHECKING:
    from cycle.bootstrap import App


def report(app: App, args: argparse.Namespace) -> int:
    run = REPORTS.get(args.report)
    if run is None:
        raise UsageError(f"unbekannter Bericht {args.report}")
    return run(app, args)


def abschluss(app: App, args: argparse.Namespace) -> int:
    from cycle.views import audit_view

    print(audit_view.abschluss(app.view_context(), args.pairing, args.year, args.format))
    return 0


def cycle_document(app: App, args: argparse.Namespace) -> int:
    """``jahresbericht`` and ``verwendungsnachweis`` of one pairing and year."""
    from cycle.views import reports

    reports.known_pairing(app.settings, args.pairing)
    output.need_output(args.format, args.output, f"{args.report}-{args.pairing}-{args.year}")
    build = reports.jahresbericht if args.report == "jahresbericht" else reports.verwendungsnachweis
    data = build(app.view_context(), args.pairing, args.year, args.format)
    return output.document(data, args.output)


def buendelung(app: App, args: argparse.Namespace) -> int:
    from cycle.views import reports

    field = args.handlungsfeld
    known = reports.handlungsfelder(app.settings)
    if field is not None and field not in known:
        raise UsageError(
            f"--handlungsfeld: unbekanntes Handlungsfeld „{field}“ (bekannt: {', '.join(known)})"
        )
    stem = f"buendelung-{args.year}" + (f"-{field}" if field else "")
    output.need_output(args.format, args.output, stem)
    data = reports.buendelung(app.view_context(), args.year, field, args.format)
    return output.document(data, args.output)


def pruefakte(app: App, args: argparse.Namespace) -> int:
    from cycle.views import pruefakte

    data, count = pruefakte.archive(app.view_context(), args.pairing, args.year)
    detail = f" ({count} Dateien, Prüfsummen in {pruefakte.MANIFEST})"
    return output.write_output(data, args.output, detail)


REPORTS: dict[str, Callable[[App, argparse.Namespace], int]] = {
    "abschluss": abschluss,
    "jahresbericht": cycle_document,
    "verwendungsnachweis": cycle_document,
    "buendelung": buendelung,
    "pruefakte": pruefakte,
}
