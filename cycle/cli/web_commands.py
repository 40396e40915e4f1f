"""CLI commands of the web application and the portal: ``web``, ``user``, ``portal``.

``add_parsers`` runs at start-up (argparse only, no heavy imports); the command functions
import what they need when called.
"""

from __future__ import annotations

import argparse
from collections.abc import Callable
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from cycle.bootstrap import App


def add_parsers(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Add the subcommands of this module to the ``zyklus`` parser."""


COMMANDS: dict[str, Callable[[App, argparse.Namespace], int]] = {}
