"""Open an uploaded ZIP container (DOCX) by what it actually unpacks to, never by its claims.

The sizes in a ZIP's central directory are claims of the file. A 1 MB DOCX whose
``word/document.xml`` unpacks to 1 GiB, with the declared sizes patched, passed a check of the
declared sizes and raised the server by 2 GB while python-docx read it: zipfile's ``read()`` of a
DEFLATE part asks zlib for up to 2 GiB in one call. So ``repacked`` streams every part in small
chunks (``ZipFile.open`` + ``read(CHUNK)``), counts the bytes it really gets against a budget per
part and in total, and writes them into a new, uncompressed archive: the parser only ever sees
bytes measured here. CRC errors, encryption and compression methods a DOCX never uses (bzip2 and
LZMA decompress without an output bound) are refused as unreadable.
"""

from __future__ import annotations

import io
import zipfile
import zlib
from dataclasses import dataclass

MAX_PART = 32 * 1024 * 1024  # one part unpacked (a document.xml, an image)
MAX_TOTAL = 64 * 1024 * 1024  # all parts together
MAX_PARTS = 2000
CHUNK = 64 * 1024
_METHODS = (zipfile.ZIP_STORED, zipfile.ZIP_DEFLATED)
_CENTRAL = b"PK\x01\x02"  # signature of a central directory entry


class ZuGross(ValueError):
    """The archive unpacks to more than the budgets allow; the message is German."""


class Kaputt(ValueError):
    """The bytes are no readable ZIP archive of the kind a DOCX is; the message is German."""


TOO_BIG = (
    f"Das DOCX-Dokument entpackt sich auf mehr als {MAX_TOTAL // (1024 * 1024)} MB "
    f"(oder ein Teil auf mehr als {MAX_PART // (1024 * 1024)} MB) oder hat mehr als "
    f"{MAX_PARTS} Teile; es wird nicht geöffnet (bitte als normales Word-Dokument speichern)."
)
BROKEN = "Die Datei ist kein lesbares DOCX-Dokument (beschädigt oder kein Word-Format)."


@dataclass(frozen=True)
class Budget:
    """What one kind of container may unpack to, and the German messages of its refusals."""

    max_part: int = MAX_PART
    max_total: int = MAX_TOTAL
    max_parts: int = MAX_PARTS
    too_big: str = TOO_BIG
    broken: str = BROKEN


DOCX = Budget()


def repacked(data: bytes, budget: Budget = DOCX) -> bytes:
    """The parts of ``data`` as measured, in a new uncompressed ZIP archive.

    Raises ``ZuGross`` when a part or the whole unpacks beyond the budget (stopping at the
    first chunk over), ``Kaputt`` when the archive cannot be read. The default budget is a
    DOCX's; an XLSX import passes its own (``cycle.stammdaten_io.sources``).
    """
    # Opening a ZIP builds an object per central directory entry: count them first.
    if data.count(_CENTRAL) > budget.max_parts:
        raise ZuGross(budget.too_big)
    out = io.BytesIO()
    try:
        with (
            zipfile.ZipFile(io.BytesIO(data)) as source,
            zipfile.ZipFile(out, "w", zipfile.ZIP_STORED) as target,
        ):
            _copy(source, target, budget)
    except ZuGross:
        raise
    except (zipfile.BadZipFile, zipfile.LargeZipFile, zlib.error, EOFError, OSError) as error:
        raise Kaputt(budget.broken) from error
    except (ValueError, RuntimeError, NotImplementedError) as error:  # encrypted, odd headers
        raise Kaputt(budget.broken) from error
    return out.getvalue()


def _copy(source: zipfile.ZipFile, target: zipfile.ZipFile, budget: Budget) -> None:
    parts = source.infolist()
    if len(parts) > budget.max_parts:
        raise ZuGross(budget.too_big)
    if len({p.filename for p in parts}) != len(parts):
        raise Kaputt(budget.broken)  # two parts of one name: which one would the parser take?
    total = 0
    for info in parts:
        if info.compress_type not in _METHODS:
            raise Kaputt(budget.broken)
        copy = zipfile.ZipInfo(info.filename, date_time=info.date_time)
        with source.open(info) as part, target.open(copy, "w") as sink:
            size = 0
            while chunk := part.read(CHUNK):
                size, total = size + len(chunk), total + len(chunk)
                if size > budget.max_part or total > budget.max_total:
                    raise ZuGross(budget.too_big)
                sink.write(chunk)
