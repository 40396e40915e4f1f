"""German messages for argparse (it looks its strings up through the module-level ``_``)."""

from __future__ import annotations

import argparse

MESSAGES = {
    "usage: ": "Aufruf: ",
    "positional arguments": "Argumente",
    "options": "Optionen",
    "show this help message and exit": "diese Hilfe anzeigen und beenden",
    "the following arguments are required: %s": "folgende Angaben fehlen: %s",
    "unrecognized arguments: %s": "unbekannte Argumente: %s",
    "invalid choice: %(value)r (choose from %(choices)s)": "ungültige Auswahl: %(value)r (möglich: %(choices)s)",
    "argument %(argument_name)s: %(message)s": "%(argument_name)s: %(message)s",
    "expected one argument": "erwartet einen Wert",
    "expected at most one argument": "erwartet höchstens einen Wert",
    "expected at least one argument": "erwartet mindestens einen Wert",
    "invalid %(type)s value: %(value)r": "ungültiger Wert: %(value)r",
    "%(prog)s: error: %(message)s\n": "%(prog)s: Fehler: %(message)s\n",
    "one of the arguments %s is required": "eines der Argumente %s ist nötig",
    "not allowed with argument %s": "nicht zusammen mit %s erlaubt",
    "ambiguous option: %(option)s could match %(matches)s": "mehrdeutige Option: %(option)s passt zu %(matches)s",
    "ignored explicit argument %r": "unerwarteter Wert %r",
}


def _translate(message: str) -> str:
    return MESSAGES.get(message, message)


def install() -> None:
    argparse._ = _translate  # type: ignore[attr-defined]
