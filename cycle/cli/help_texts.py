"""German help for options and arguments that repeat across commands (one wording each)."""

from __future__ import annotations

import argparse

HELP: dict[str, str] = {
    "--year": "Jahr des Zyklus (Standard: das laufende Jahr)",
    "--format": "Ausgabeformat",
    "--on": "Tag des Ereignisses, z. B. 2026-03-10 oder 10.03.2026 (Standard: heute)",
    "--note": "Vermerk zum Gespräch",
    "--reason": "Begründung (wird protokolliert)",
    "--until": "neue Frist, z. B. 2026-05-15",
    "--successor": "Partnerschaft, die die offenen Stufen übernimmt",
    "--from": "erster Tag des Zeitraums",
    "--to": "letzter Tag des Zeitraums",
    "--status": "nur Nachrichten mit diesem Status",
    "--pairing": "nur diese Partnerschaft",
    "--output": "in diese Datei schreiben",
    "--handlungsfeld": "nur dieses Handlungsfeld",
    "--name": "Name der Person",
    "--email": "E-Mail-Adresse",
    "pairing": "Partnerschaft (Kennung)",
    "year": "Jahr des Zyklus",
    "file": "Datei (Jahresbericht: .md, .docx, .pdf; Verwendungsnachweis: .toml)",
    "login": "Benutzername",
}


def fill(parser: argparse.ArgumentParser) -> None:
    """Give every option or argument without help text its common German help, recursively."""
    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction):
            for sub in action.choices.values():
                fill(sub)
        elif action.help is None:
            key = action.option_strings[0] if action.option_strings else action.dest
            action.help = HELP.get(key)
