"""TOML with German errors (config, scenario, Verwendungsnachweis): line, column and a hint.
Every string value comes back without bidirectional control characters (``cycle.text``).

The parser is ``tomli``, the library ``tomllib`` is made from, in its compiled build (about three
times faster on a large config; the same values and messages). It reports in English and
recurses once per nesting level; ``parse_toml`` turns its syntax errors into one German line
``<source>: TOML-Syntaxfehler in Zeile L, Spalte C: …`` and refuses documents nested too deeply
before the parser can exhaust the stack.
"""

from __future__ import annotations

import re
from typing import Any

import tomli

from cycle.text import clean, has_bidi

MAX_DEPTH = 50  # brackets and braces open at once; real files use 3
TOO_LONG = "eine ganze Zahl hat zu viele Stellen (höchstens 4300)"
TOO_DEEP = "Listen oder Tabellen sind zu tief ineinander verschachtelt (höchstens 50 Ebenen)"


class TomlError(ValueError):
    """A German one-line description of why the text is not usable TOML."""


_TOML_POSITION = re.compile(
    r"^(?P<msg>.*) \(at (?:line (?P<line>\d+), column (?P<col>\d+)|end of document)\)$"
)
_TOML_MESSAGES = {  # tomllib's messages (prefixes) in German
    "Invalid value": "ungültiger Wert (Texte brauchen Anführungszeichen)",
    "Expected '=' after a key in a key/value pair": "nach dem Schlüssel fehlt „=“",
    "Expected newline or end of document after a statement": "nach dem Wert folgt noch etwas "
    "in derselben Zeile (ungültiges Datum? fehlende Anführungszeichen?)",
    "Cannot overwrite a value": "Schlüssel ist doppelt",
    "Cannot declare": "Tabelle ist doppelt",
    "Duplicate inline table key": "Schlüssel ist doppelt",
    "Cannot redefine namespace": "Tabelle ist bereits anders definiert",
    "Cannot mutate immutable namespace": "Tabelle ist bereits anders definiert",
    "Invalid statement": "ungültige Anweisung",
    "Unclosed array": "Liste nicht geschlossen (fehlt „]“?)",
    "Unclosed inline table": "Tabelle nicht geschlossen (fehlt „}“?)",
    "Unterminated string": "Text nicht abgeschlossen (fehlt ein Anführungszeichen?)",
    "Illegal character": "unzulässiges Zeichen im Text (fehlt ein schließendes Anführungszeichen?)",
    "Found invalid character": "unzulässiges Zeichen",
    "Invalid date or datetime": "ungültiges Datum",
    "Invalid initial character for a key part": "ungültiges Zeichen am Anfang eines Schlüssels",
    "Expected ']' at the end of a table declaration": "nach dem Tabellennamen fehlt „]“",
    "Expected ']]' at the end of an array declaration": "nach dem Tabellennamen fehlt „]]“",
}


def parse_toml(text: str, source: str) -> dict[str, Any]:
    """Parse ``text``; raise ``TomlError`` with a German message naming ``source``."""
    if _depth(text) > MAX_DEPTH:
        raise TomlError(f"{source}: {TOO_DEEP}")
    try:
        parsed = tomli.loads(text)
    except tomli.TOMLDecodeError as exc:
        raise TomlError(syntax_error(source, str(exc))) from None
    except RecursionError:
        raise TomlError(f"{source}: {TOO_DEEP}") from None
    except ValueError:  # Python refuses to convert an integer literal of over 4300 digits
        raise TomlError(f"{source}: {TOO_LONG}") from None
    # Every string value without bidi controls (``cycle.text``); the walk only runs when the
    # text holds one or a ``\\u`` escape that could spell one.
    return clean(parsed) if has_bidi(text) or "\\u" in text or "\\U" in text else parsed


def syntax_error(source: str, message: str) -> str:
    match = _TOML_POSITION.match(message)
    where = f"in Zeile {match['line']}, Spalte {match['col']}" if match and match["line"] else ""
    raw = match["msg"] if match else message
    detail = next((german for key, german in _TOML_MESSAGES.items() if raw.startswith(key)), "")
    return f"{source}: TOML-Syntaxfehler {where or 'am Dateiende'}" + (
        f": {detail}" if detail else ""
    )


# A string ("…" with backslash escapes, '…'; both end at a line break at the latest), a comment,
# or a bracket: strings and comments are skipped whole, so the loop only sees the brackets.
# Possessive runs: one repetition per run of plain characters, not per character (a string of
# 900,000 digits took 124 MB of backtracking state with the plain alternation).
_TOKENS = re.compile(r""""(?:[^"\\\n]++|\\[\s\S])*+"?|'[^'\n]*+'?|#[^\n]*+|[\[\]{}]""")


def _depth(text: str) -> int:
    """The deepest nesting of ``[``/``{`` outside strings and comments (an upper bound is fine)."""
    depth = deepest = 0
    for match in _TOKENS.finditer(text):
        char = text[match.start()]  # not match[0]: a string token may be megabytes
        if char in "[{":
            depth += 1
            deepest = max(deepest, depth)
        elif char in "]}":
            depth = max(0, depth - 1)
    return deepest
