"""Text hygiene: bidi control characters (U+202A–U+202E, U+2066–U+2069) are removed from every
free text where it enters — commands on the bus (CLI here; web and portal in their request
tests), the config's master data, a submitted Verwendungsnachweis — and from pages, documents
and mails where text leaves, also for what was stored before the rule.
"""

from __future__ import annotations

import email
import io
import json
import mailbox
from datetime import UTC, datetime
from email import policy
from pathlib import Path
from typing import Any

import docx
import pdfplumber

from cycle.config.loader import load
from cycle.documents import Verwendungsnachweis, parse
from cycle.documents.blocks import Bullets, Heading, Paragraph, Table, markdown
from cycle.documents.docx_render import docx as docx_bytes
from cycle.documents.pdf_render import pdf
from cycle.documents.render import html
from cycle.text import BIDI_CONTROLS, clean, has_bidi, strip_bidi
from tests.conftest import Result, Run

VN = Path(__file__).parent / "data" / "documents" / "verwendungsnachweis-2026.toml"
RLO, LRI, PDI = "\u202e", "\u2066", "\u2069"
SPOOF = f"Rechnung{RLO}gnp.exe"  # shows as "Rechnungexe.png"
CLEAN = "Rechnunggnp.exe"


def _ok(result: Result) -> str:
    assert result.code == 0, result.err
    return result.out


def _docx_text(document: Any) -> str:
    cells = [c.text for t in document.tables for r in t.rows for c in r.cells]
    return "\n".join([p.text for p in document.paragraphs] + cells)


def _no_bidi(text: str) -> bool:
    return BIDI_CONTROLS.isdisjoint(text)


def test_the_controls_are_exactly_the_embeddings_overrides_and_isolates():
    assert sorted(f"{ord(c):04X}" for c in BIDI_CONTROLS) == [
        "202A", "202B", "202C", "202D", "202E", "2066", "2067", "2068", "2069",
    ]  # fmt: skip
    # the marks (LRM, RLM) and everything else stay; the same object when nothing changes
    kept = "Straße \u200e\u200f Yıldız 0,75 €"
    assert strip_bidi(kept) is kept or strip_bidi(kept) == kept
    value = ("a", ["b"], {"k": "c"})
    assert clean(value) is value
    assert clean((f"x{RLO}", [f"{LRI}y{PDI}"], {"k": "z\u202a"})) == ("x", ["y"], {"k": "z"})


def test_notes_and_reasons_from_the_cli_are_stored_and_shown_without_bidi(zyklus: Run):
    _ok(zyklus("init", now="2026-02-02T09:00"))
    _ok(zyklus("note", "kaltenmoor", "2026", "fachtag", SPOOF, now="2026-02-02T09:00"))
    _ok(
        zyklus(
            "extend", "kaltenmoor", "2026", "auftaktgespraech", "--until", "2026-05-15",
            "--reason", f"{LRI}Personalwechsel{PDI}", "--by", f"K.{RLO} Koordinator",
            now="2026-02-02T09:00",
        )
    )  # fmt: skip
    listing = _ok(zyklus("audit", "--pairing", "kaltenmoor", "--format", "json"))
    assert _no_bidi(listing)
    entries = json.loads(listing)
    assert {"notiz": CLEAN} in [e["payload"] for e in entries]
    extended = next(e for e in entries if e["action"] == "extend")
    assert (extended["actor"], extended["payload"]["grund"]) == (
        "K. Koordinator",
        "Personalwechsel",
    )
    record = _ok(zyklus("report", "abschluss", "kaltenmoor", "2026", now="2026-02-02T09:00"))
    assert CLEAN in record and _no_bidi(record)


def test_names_in_the_config_lose_their_bidi_controls_in_pages_mails_and_documents(
    zyklus: Run, workspace: Path, tmp_path: Path
):
    config = workspace / "config.toml"
    text = config.read_text(encoding="utf-8")
    spoofed = text.replace(
        'name = "AWO Kreisverband Lüneburg e. V."',
        f'name = "AWO Kreis{RLO}verband Lüneburg \\u2066e. V.\\u2069"',  # literal and escaped
    )
    assert spoofed != text
    config.write_text(spoofed, encoding="utf-8")
    settings = load(config, {})  # the master data as loaded: clean before anything stores them
    assert settings.traeger["awo"].name == "AWO Kreisverband Lüneburg e. V."
    _ok(zyklus("init", now="2026-02-20T09:00"))
    _ok(zyklus("tick", now="2026-03-03T08:00"))  # the reminders 4 weeks before 31.03.
    box = mailbox.Maildir(workspace / "var" / "mail", create=False)
    bodies = []
    for raw in (box.get_bytes(key) for key in box.iterkeys()):
        message = email.message_from_bytes(raw, policy=policy.default)
        bodies += [str(message["Subject"])]
        bodies += [
            part.get_content() for part in message.walk() if part.get_content_maintype() == "text"
        ]
    assert bodies and any("AWO Kreisverband Lüneburg e. V." in b for b in bodies)
    assert all(_no_bidi(b) for b in bodies)
    skeleton = tmp_path / "jb.docx"
    args = ("report", "jahresbericht", "kaltenmoor", "2026", "--format", "docx")
    _ok(zyklus(*args, "--output", str(skeleton), now="2026-03-03T08:00"))
    words = _docx_text(docx.Document(str(skeleton)))
    assert "AWO Kreisverband Lüneburg e. V." in words and _no_bidi(words)


def test_a_verwendungsnachweis_with_bidi_controls_is_checked_and_printed_without_them(
    zyklus: Run, tmp_path: Path
):
    text = (
        VN.read_text(encoding="utf-8")
        .replace('erlaeuterung = "Spende', f'erlaeuterung = "{RLO}Spende')
        .replace('name = "Sabine Behrens"', 'name = "Sabine \\u202EBehrens"')
    )
    spoofed = tmp_path / "vn.toml"
    spoofed.write_text(text, encoding="utf-8")
    parsed = parse(text)  # the document as read: clean before any page or file shows it
    assert isinstance(parsed, Verwendungsnachweis)
    assert parsed.erlaeuterung.startswith("Spende") and parsed.unterschrift.name == "Sabine Behrens"
    _ok(zyklus("init", now="2026-01-05T09:00"))
    for stage in ("auftaktgespraech", "fachtag", "auswertungsgespraech", "jahresbericht"):
        _ok(
            zyklus("waive", "kaltenmoor", "2026", stage, "--reason", "Test", now="2027-05-20T09:00")
        )
    _ok(
        zyklus(
            "submit",
            "kaltenmoor",
            "2026",
            "verwendungsnachweis",
            str(spoofed),
            now="2027-05-25T09:00",
        )
    )
    for fmt in ("md", "html"):
        shown = _ok(
            zyklus(
                "report",
                "verwendungsnachweis",
                "kaltenmoor",
                "2026",
                "--format",
                fmt,
                now="2027-05-25T09:00",
            )
        )
        assert "Spende des Bürgervereins" in shown and "Sabine Behrens" in shown
        assert _no_bidi(shown)


def test_documents_never_print_bidi_controls_even_from_old_data():
    """Text stored before the rule (an old audit note, a report as uploaded) reaches the
    renderers as it is: each format removes the controls itself."""
    blocks = [
        Heading(1, f"Bericht {SPOOF}"),
        Paragraph(f"{LRI}Notiz{PDI}"),
        Bullets((SPOOF,)),
        Table(("Name",), ((SPOOF,),)),
    ]
    assert _no_bidi(markdown(blocks)) and CLEAN in markdown(blocks)
    assert _no_bidi(html(SPOOF, blocks)) and CLEAN in html(SPOOF, blocks)
    words = _docx_text(docx.Document(io.BytesIO(docx_bytes(SPOOF, blocks))))
    assert _no_bidi(words) and CLEAN in words
    printed = pdf(SPOOF, blocks, datetime(2026, 1, 1, tzinfo=UTC))
    with pdfplumber.open(io.BytesIO(printed)) as document:
        words = "\n".join(page.extract_text() for page in document.pages)
    # the core fonts would print an unknown character as "?": it must not be there at all
    assert CLEAN in words and "?" not in words and _no_bidi(words)


def test_the_bidi_pattern_finds_exactly_the_controls_of_the_set() -> None:
    """``strip_bidi``/``has_bidi`` use a character class; it must match the set, no more."""
    for code in range(0x2000, 0x2100):
        char = chr(code)
        assert has_bidi(f"a{char}b") == (char in BIDI_CONTROLS), hex(code)
        assert strip_bidi(f"a{char}b") == ("ab" if char in BIDI_CONTROLS else f"a{char}b")
    assert strip_bidi("Müller\u202e\u2066 Şahin\u2069") == "Müller Şahin"
