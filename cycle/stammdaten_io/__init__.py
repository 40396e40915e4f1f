"""Master data as files and back (SPEC §16): export to XLSX, CSV and TOML; import from them.

Pure: bytes in, bytes or a ``Parsed`` out; the stored master data is given, nothing is read
from or written to the database here. The columns are described in ``layout`` and in
docs/stammdaten.md.
"""

from cycle.stammdaten_io.desired import Generated, Parsed
from cycle.stammdaten_io.export import FORMATS, MEDIA_TYPES, export
from cycle.stammdaten_io.parse import SUFFIXES, file_format, parse
from cycle.stammdaten_io.sources import MAX_ROWS, Unreadable

__all__ = [
    "FORMATS",
    "MAX_ROWS",
    "MEDIA_TYPES",
    "SUFFIXES",
    "Generated",
    "Parsed",
    "Unreadable",
    "export",
    "file_format",
    "parse",
]
