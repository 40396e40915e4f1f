"""``Content-Disposition`` for every download, built — never concatenated (RFC 6266, RFC 5987).

A file name may come from a user (an uploaded evidence file, a query parameter): it is cleaned
first (no control or format characters — CR, LF, NUL, bidi controls —, no quotes, backslashes,
slashes; at most ``MAX_NAME`` characters), then given twice: ``filename="…"`` as an ASCII
fallback (umlauts transliterated, anything else outside ``[A-Za-z0-9._ -]`` becomes ``_``) and
``filename*=UTF-8''…`` percent-encoded. Nothing of the name can end the parameter or the header.
"""

from __future__ import annotations

import re
import unicodedata
from urllib.parse import quote

MAX_NAME = 120
_GERMAN = str.maketrans(
    {"ä": "ae", "ö": "oe", "ü": "ue", "Ä": "Ae", "Ö": "Oe", "Ü": "Ue", "ß": "ss"}
)
_UNSAFE = re.compile(r'["\\/]')
_NOT_ASCII_SAFE = re.compile(r"[^A-Za-z0-9._ -]")


def clean_name(name: str, default: str = "download") -> str:
    """``name`` without characters that do not belong in a file name (see the module)."""
    text = unicodedata.normalize("NFC", name)
    text = "".join(
        " " if unicodedata.category(ch) in ("Zl", "Zp", "Zs") else ch
        for ch in text
        if unicodedata.category(ch) not in ("Cc", "Cf", "Cs", "Co", "Cn")
    )
    text = _UNSAFE.sub("_", text).strip().lstrip(".").strip()
    if len(text) > MAX_NAME:
        stem, dot, suffix = text.rpartition(".")
        keep = suffix if dot and stem and len(suffix) <= 10 else ""
        text = text[: MAX_NAME - len(keep) - 1].rstrip() + ("." + keep if keep else "")
    return text or default


def ascii_name(name: str) -> str:
    """The ASCII fallback of a cleaned name."""
    text = unicodedata.normalize("NFKD", name.translate(_GERMAN))
    text = "".join(ch for ch in text if not unicodedata.combining(ch))
    return _NOT_ASCII_SAFE.sub("_", text)


def attachment(name: str) -> str:
    """The ``Content-Disposition`` value for downloading ``name``."""
    clean = clean_name(name)
    return f"attachment; filename=\"{ascii_name(clean)}\"; filename*=UTF-8''{quote(clean, safe='')}"


def headers(name: str) -> dict[str, str]:
    """Response headers for a download named ``name``."""
    return {"content-disposition": attachment(name)}
