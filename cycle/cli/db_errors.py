"""A PostgreSQL refusal for lack of a privilege (SQLSTATE 42501), said in German (SPEC §11:
bad setup, exit 2): which privilege on what is missing, and where the grants are documented."""

from __future__ import annotations

import re

GRANTS = "Die nötigen Rechte: docs/operations.md, Abschnitt „PostgreSQL: Rechte“."
_KNOWN = (
    (
        re.compile(r"permission denied for schema (\S+)"),
        "das Recht CREATE (und USAGE) auf dem Schema {0} – „zyklus init“ legt dort die Tabellen an",
    ),
    (
        re.compile(r'permission denied to create temporary tables in database "?([^"]+)"?'),
        "das Recht TEMPORARY auf der Datenbank {0} – ein Durchlauf („zyklus tick“, "
        "„zyklus run“) legt temporäre Tabellen an",
    ),
    (
        re.compile(r"permission denied for (?:table|relation|sequence) (\S+)"),
        "Lese- oder Schreibrechte (SELECT, INSERT, UPDATE, DELETE) auf {0}",
    ),
    (
        re.compile(r"must be owner of (?:table|relation|sequence|schema|index) (\S+)"),
        "die Eigentümerschaft an {0} – Migrationen („zyklus init“) ändern Tabellen",
    ),
)


def missing_privilege(error: object) -> str | None:
    """The German line for a driver error that is SQLSTATE 42501, else ``None``."""
    if getattr(error, "sqlstate", None) != "42501":
        return None
    diag = getattr(error, "diag", None)
    text = str(getattr(diag, "message_primary", None) or error).strip().splitlines()[0]
    for pattern, missing in _KNOWN:
        if found := pattern.search(text):
            return f"Der Datenbankrolle fehlt {missing.format(found[1])}. {GRANTS}"
    return f"Der Datenbankrolle fehlt ein Recht ({text}). {GRANTS}"


def lock_wait(error: object) -> str | None:
    """The German line for a lock or statement timeout on PostgreSQL, else ``None``."""
    state = getattr(error, "sqlstate", None)
    if state == "55P03":
        return (
            "Eine Sperre in der Datenbank wurde nicht innerhalb von [database] lock_timeout_s "
            "frei (eine andere Sitzung hält eine Transaktion offen); nichts geändert, bitte "
            "später erneut versuchen."
        )
    if state == "57014":
        return (
            "Die Datenbank hat eine Anweisung nach [database] statement_timeout_s abgebrochen; "
            "nichts geändert."
        )
    return None
