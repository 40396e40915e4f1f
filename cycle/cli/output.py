"""Where the CLI's results go: stdout, or the file named by ``--output``.

Binary formats (``docx``, ``pdf``, ``xlsx``) need ``--output``; without it the command is a usage
error (exit 2) that suggests a file name. Writing bytes to a terminal helps nobody, and a file
silently created in the current folder would surprise.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path
from typing import TextIO

from cycle.errors import UsageError
from cycle.views.exports import Sheet, to_csv, to_xlsx

BINARY = ("docx", "pdf", "xlsx")


def use_colour(stream: TextIO = sys.stdout) -> bool:
    """Colour on a terminal; ``NO_COLOR`` turns it off, ``FORCE_COLOR`` on (no-color.org)."""
    if os.environ.get("NO_COLOR"):
        return False
    return bool(os.environ.get("FORCE_COLOR")) or stream.isatty()


def need_output(fmt: str, output: Path | None, stem: str) -> None:
    """A usage error (exit 2) when a binary format has no ``--output``."""
    if fmt in BINARY and output is None:
        raise UsageError(
            f"--format {fmt} schreibt eine Datei: bitte --output angeben, "
            f"z. B. --output {stem}.{fmt}"
        )


def write_output(data: bytes, output: Path, detail: str = "") -> int:
    """Write ``--output`` with a German confirmation line (or a usage error naming the file)."""
    try:
        output.write_bytes(data)
    except OSError as exc:
        raise UsageError(
            f"--output: {output} kann nicht geschrieben werden ({exc.strerror})"
        ) from None
    print(f"Geschrieben: {output}{detail}")
    return 0


def text_or_file(text: str, output: Path | None) -> int:
    """A text document on stdout (one final newline) or, with ``--output``, in the file."""
    if output is None:
        print(text, end="" if text.endswith("\n") else "\n")
        return 0
    return write_output(text.encode("utf-8"), output)


def document(data: str | bytes, output: Path | None) -> int:
    """A rendered document: text as :func:`text_or_file`, bytes into ``--output``."""
    if isinstance(data, str):
        return text_or_file(data, output)
    assert output is not None  # need_output() ran before the document was built
    return write_output(data, output)


def sheet(table: Sheet, fmt: str, output: Path | None) -> int:
    """``csv`` to stdout (with BOM) or into ``--output``; ``xlsx`` needs ``--output``."""
    if fmt == "xlsx":
        need_output(fmt, output, table.stem)
        assert output is not None
        return write_output(to_xlsx(table.head, table.body, table.stem), output)
    data = to_csv(table.head, table.body)
    if output is not None:
        return write_output(data, output)
    sys.stdout.write(data.decode("utf-8"))  # the BOM stays: `> datei.csv` opens in Excel
    return 0


def listing(result: str | Sheet, fmt: str, output: Path | None) -> int:
    """A listing: text (table or JSON) on stdout, a :class:`Sheet` as CSV or XLSX."""
    if isinstance(result, Sheet):
        return sheet(result, fmt, output)
    print(result)
    return 0
