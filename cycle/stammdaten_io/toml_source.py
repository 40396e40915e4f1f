"""A TOML file of ``[[traeger]]``, ``[[stadtteil]]`` and ``[[pairing]]`` tables (SPEC §16).

The same shape as ``config.toml`` — a whole ``config.toml`` may be imported too: its procedure
(stages, mail, …) is not master data and is left aside. Problems name the line where the
table or key stands, with the config loader's key path: ``Zeile 42 (pairing[3].traeger): …``.
"""

from __future__ import annotations

import re
from typing import Any

from cycle.config.loader import TOP_KEYS
from cycle.config.settings import MasterData
from cycle.config.toml_text import TomlError, parse_toml
from cycle.config.values import unknown_key
from cycle.stammdaten_io.export import toml_table
from cycle.stammdaten_io.layout import KINDS

MASTER_KEYS = tuple(k.key for k in KINDS)
_PATH = re.compile(r"^(?P<kind>traeger|stadtteil|pairing)\[(?P<n>\d+)\](?:\.(?P<key>\w+))?")
_TABLE = re.compile(r"^\s*\[")


def document(data: bytes, current: MasterData) -> tuple[dict[str, Any], set[str], list[str]]:
    """The master-data tables of the file (stored ones for kinds it lacks), its kinds, problems."""
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = data[: exc.start].count(b"\n") + 1
        return {}, set(), [f"Zeile {line} ist nicht UTF-8-kodiert; bitte als UTF-8 speichern"]
    try:
        parsed = parse_toml(text, "Datei")
    except TomlError as exc:
        return {}, set(), [str(exc).removeprefix("Datei: ")]
    problems = [f"{key}: {unknown_key(key, MASTER_KEYS)}" for key in parsed if key not in TOP_KEYS]
    stored: dict[str, dict[str, Any]] = {
        "traeger": current.traeger,
        "stadtteil": current.stadtteile,
        "pairing": current.pairings,
    }
    result: dict[str, Any] = {}
    for kind in KINDS:
        if kind.key in parsed:
            result[kind.key] = tables = parsed[kind.key]
            if kind.key != "pairing" and isinstance(
                tables, list
            ):  # the others stay (never deleted)
                written = {t.get("id") for t in tables if isinstance(t, dict)}
                kept = [r for i, r in stored[kind.key].items() if i not in written]
                result[kind.key] = [*tables, *(toml_table(r, kind) for r in kept)]
        else:
            result[kind.key] = [toml_table(r, kind) for r in stored[kind.key].values()]
    return result, {k for k in MASTER_KEYS if k in parsed}, problems


def places(document: dict[str, Any], kinds: set[str], data: bytes) -> dict[tuple[str, str], str]:
    """Where each table of the file starts: (kind, id) → ``Zeile 12``."""
    text = data.decode("utf-8-sig", errors="replace").splitlines()
    found: dict[tuple[str, str], str] = {}
    for kind in kinds:
        starts = _headers(text, kind)
        tables = document.get(kind)
        for n, table in enumerate(tables if isinstance(tables, list) else []):
            ident = table.get("id") if isinstance(table, dict) else None
            if isinstance(ident, str) and n < len(starts):
                found.setdefault((kind, ident), f"Zeile {starts[n] + 1}")
    return found


def _headers(text: list[str], kind: str) -> list[int]:
    header = re.compile(rf"^\s*\[\[\s*{kind}\s*\]\]")
    return [i for i, line in enumerate(text) if header.match(line)]


def with_lines(lines: list[str], data: bytes) -> list[str]:
    """Reader problems ``pairing[3].traeger: …`` as ``Zeile 42 (pairing[3].traeger): …``."""
    text = data.decode("utf-8-sig", errors="replace").splitlines()
    return [_with_line(line, text) for line in lines]


def _with_line(line: str, text: list[str]) -> str:
    match = _PATH.match(line)
    if match is None:
        return line
    headers = [i for i, t in enumerate(text) if re.match(rf"^\s*\[\[\s*{match['kind']}\s*\]\]", t)]
    n = int(match["n"])
    if n > len(headers):
        return line
    start = headers[n - 1]
    end = next((i for i in range(start + 1, len(text)) if _TABLE.match(text[i])), len(text))
    found = start
    if match["key"]:
        key = re.compile(rf"^\s*{match['key']}\s*=")
        found = next((i for i in range(start, end) if key.match(text[i])), start)
    path, _, message = line.partition(": ")
    return f"Zeile {found + 1} ({path}): {message}"
