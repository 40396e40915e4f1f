"""``Content-Disposition`` from hostile file names: one ``filename``, one ``filename*``, no more."""

from __future__ import annotations

import pytest

from cycle.webbase.downloads import MAX_NAME, attachment, clean_name
from tests.web.checks import filename_params

HOSTILE = [
    'x"; filename=evil.exe',
    "x\r\nSet-Cookie: sitzung=gestohlen",
    "x\nX-Evil: 1.md",
    "x\x00y.pdf",
    'a\\"b.md',
    "..\\..\\windows\\system32.dll",
    "/etc/passwd",
    "Bericht \u202eexe.md",  # bidi override: shows as "Bericht dm.exe"
    "\u2028zeile\u2029.md",
    "x'; filename*=UTF-8''evil.exe",
    "%22%0d%0a.md",
    "",
    "...",
    "Ä" * 500 + ".docx",
]


@pytest.mark.parametrize("name", HOSTILE)
def test_a_hostile_name_gives_exactly_one_filename_and_one_filename_star(name: str):
    header = attachment(name)
    assert not any(ch in header for ch in "\r\n\x00\u2028\u2029\u202e")
    assert header.isascii()
    plain, star = filename_params(header)
    assert len(plain) == 1 and len(star) == 1
    assert star[0] == clean_name(name)
    assert '"' not in star[0] and "\\" not in star[0] and "/" not in star[0]
    assert len(star[0]) <= MAX_NAME and star[0] and not star[0].startswith(".")


def test_german_names_keep_their_umlauts_and_get_a_readable_ascii_fallback():
    plain, star = filename_params(attachment("Prüfakte Bockelsberg 2026 – Übersicht.pdf"))
    assert star == ["Prüfakte Bockelsberg 2026 – Übersicht.pdf"]
    assert plain == ["Pruefakte Bockelsberg 2026 _ Uebersicht.pdf"]


def test_a_long_name_keeps_its_suffix():
    assert clean_name("a" * 400 + ".docx").endswith("a.docx")
    assert len(clean_name("a" * 400 + ".docx")) == MAX_NAME
