"""Text hygiene: no bidirectional control characters in what zyklus stores, shows or sends.

The explicit embedding, override and isolate controls (U+202A–U+202E, U+2066–U+2069) reorder
how the characters around them are displayed: ``"Rechnung\u202eFDP.exe"`` reads as
``RechnungEXE.PDF``, and a name or note can show a reader something other than what is stored.
No German name, note or amount needs them, so they are removed — not refused — from every free
text where it enters (commands on the bus, TOML documents: config, scenarios,
Verwendungsnachweis) and, for anything stored before, where it leaves (pages, mails, documents).
Values that must stay byte-exact (passwords, uploaded files) are not touched.
"""

from __future__ import annotations

import dataclasses
import re
from typing import Any, TypeVar

BIDI_CONTROLS = frozenset(chr(c) for c in (*range(0x202A, 0x202F), *range(0x2066, 0x206A)))
# A character class, not ``str.translate``: the regex scans a 4 kB mail body in ~20 µs where
# ``translate`` with a deleting table takes ~190 µs (the everything-due tick cleans every body).
_BIDI = re.compile("[\u202a-\u202e\u2066-\u2069]")
VERBATIM = frozenset({"password"})  # dataclass fields whose value is a secret, not a text

T = TypeVar("T")


def strip_bidi(text: str) -> str:
    """``text`` without bidirectional control characters."""
    return _BIDI.sub("", text)


def has_bidi(text: str) -> bool:
    return _BIDI.search(text) is not None


def clean(value: T) -> T:
    """``value`` with every string inside it cleaned: strings, tuples, lists, dict values and
    dataclass fields (frozen ones are copied with ``dataclasses.replace``). Unchanged values
    are returned as they are (the same object), bytes and other types untouched."""
    return _clean(value)  # type: ignore[no-any-return]


def _clean(value: Any) -> Any:
    if isinstance(value, str):
        return strip_bidi(value) if has_bidi(value) else value
    if isinstance(value, tuple | list):
        items = [_clean(v) for v in value]
        if all(a is b for a, b in zip(items, value, strict=True)):
            return value
        return type(value)(items) if type(value) in (tuple, list) else value
    if isinstance(value, dict):
        changed = {k: _clean(v) for k, v in value.items()}
        return value if all(changed[k] is value[k] for k in value) else changed
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        updates = {}
        for f in dataclasses.fields(value):
            if not f.init or f.name in VERBATIM:
                continue
            old = getattr(value, f.name)
            new = _clean(old)
            if new is not old:
                updates[f.name] = new
        return dataclasses.replace(value, **updates) if updates else value
    return value
