"""Tables as text, CSV and JSON shared by the commands (printing is the CLI's: ``cycle.cli``)."""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Callable, Sequence
from json.encoder import encode_basestring
from typing import Any

from cycle import german

GREEN, YELLOW, RED, DIM, RESET = "\033[32m", "\033[33m", "\033[31m", "\033[2m", "\033[0m"


def paint(text: str, colour: str, enabled: bool) -> str:
    return f"{colour}{text}{RESET}" if enabled and text else text


def table(
    headers: Sequence[str],
    rows: Sequence[Sequence[Any]],
    widths: Sequence[int | None] | None = None,
) -> str:
    from tabulate import tabulate

    return tabulate(
        rows,
        headers=list(headers),
        tablefmt="simple_grid",
        disable_numparse=True,
        maxcolwidths=list(widths) if widths else None,
    )


def to_csv(headers: Sequence[str], rows: Sequence[Sequence[Any]]) -> str:
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(headers)
    writer.writerows(rows)
    return buffer.getvalue()


def to_json(data: Any) -> str:
    return json.dumps(data, ensure_ascii=False, indent=2, default=str)


# Large documents with a fixed shape can be written from templates, byte for byte as ``to_json``
# writes them: with ``indent`` the standard library encodes in pure Python, one generator step
# per value. A template is one ``str.format`` per object; the scalars are encoded in C.
_SCALARS: dict[type, Callable[[Any], str]] = {
    str: encode_basestring,  # what ensure_ascii=False uses
    int: int.__repr__,
    bool: ("false", "true").__getitem__,
    type(None): {None: "null"}.__getitem__,
}


def json_scalar(value: Any) -> str:
    """``to_json(value)`` for a value that is not a list or dict."""
    return _SCALARS.get(type(value), to_json)(value)


def json_scalars(values: Sequence[Any]) -> list[str]:
    return [_SCALARS.get(type(v), to_json)(v) for v in values]


def json_template(keys: Sequence[str], depth: int) -> str:
    """A ``str.format`` template of an object with ``keys`` (one ``{}`` each) nested ``depth``
    deep; fill it with ``json_scalars`` or with ``json_members`` of the next depth."""
    pad = "  " * (depth + 1)
    names = (json_scalar(key).replace("{", "{{").replace("}", "}}") for key in keys)
    lines = ",\n".join(f"{pad}{name}: {{}}" for name in names)
    return "{{\n" + lines + "\n" + "  " * depth + "}}"


def json_members(items: Sequence[str], depth: int, brackets: str) -> str:
    """A list (``brackets="[]"``) or object (``"{}"``) at ``depth`` of its encoded ``items``,
    each already indented one level deeper."""
    if not items:
        return brackets
    return f"{brackets[0]}\n" + ",\n".join(items) + f"\n{'  ' * depth}{brackets[1]}"


def german_date(value: Any) -> str:
    return german.datum(value)
