"""The ``zyklus`` command line, a thin adapter over the service layer and the read models."""

from cycle.cli.main import build_parser, main, run

__all__ = ["build_parser", "main", "run"]
