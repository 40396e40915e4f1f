"""``zyklus audit``, ``audit verify``, ``outbox`` and ``calendar``: print what the views return."""

from __future__ import annotations

import argparse
import sys
from typing import TYPE_CHECKING

from cycle.cli import output
from cycle.errors import Problem, UsageError

if TYPE_CHECKING:
    from cycle.bootstrap import App


def audit(app: App, args: argparse.Namespace) -> int:
    from cycle.views import audit_view

    if args.action == "verify":
        return verify(app, args.anchor)
    if args.action == "umstellen":
        from cycle.cli import privacy_commands

        return privacy_commands.convert(app)
    if args.anchor:
        raise UsageError("--anchor gilt nur für „zyklus audit verify“.")
    found = audit_view.listing(app.view_context(), args.pairing, args.year, args.format)
    return output.listing(found, args.format, args.output)


def verify(app: App, anchor: str | None) -> int:
    """Exit 0 intact, 1 naming the first problem; keyed entries without the key are a usage
    error (exit 2). Warnings go to stderr first."""
    from cycle.views import audit_view

    check = audit_view.verify(app.view_context(), anchor)
    for warning in check.warnings:
        print(f"Warnung: {warning}", file=sys.stderr)
    if check.missing_key is not None:
        raise UsageError(Problem(None, "protokollschluessel_fehlt", check.missing_key))
    for line in check.lines:
        print(line)
    return 0 if check.intact else 1


def outbox(app: App, args: argparse.Namespace) -> int:
    from cycle.views import outbox_view

    found = outbox_view.listing(app.view_context(), args.status, args.format)
    return output.listing(found, args.format, args.output)


def calendar(app: App, args: argparse.Namespace) -> int:
    from cycle.views import calendar_export

    if bool(args.pairing) == bool(args.all):
        raise UsageError("calendar: entweder PAIRING oder --all angeben.")
    pairing = None if args.all else args.pairing
    data, count = calendar_export.calendar(app.view_context(), pairing, args.year)
    if args.output is None:
        sys.stdout.write(data.decode("utf-8"))
        return 0
    return output.write_output(data, args.output, f" ({count} Einträge)")
