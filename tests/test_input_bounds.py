"""Bounded work on hostile input (issue 18, item 2), below the web: amounts and ZIP containers.

Amounts are judged on their text before a ``Decimal`` exists; a DOCX is judged by the bytes
its parts really unpack to, and python-docx only ever reads that measured copy. Time and
memory are asserted, not assumed (``tracemalloc`` peak of what the code under test allocates).
"""

from __future__ import annotations

import io
import time
import tracemalloc
import zipfile
from collections.abc import Callable
from decimal import Decimal
from pathlib import Path

import pytest

from cycle.config.amounts import AMOUNT, SHARE, AmountError, bounded_decimal, bounded_number
from cycle.config.loader import ConfigError, load
from cycle.config.values import parse_money
from cycle.documents import parse
from cycle.documents.report_reader import UnlesbaresDokument, docx_elements
from cycle.documents.unpack import MAX_PARTS, repacked
from cycle.portal.vn_form import _money
from tests.zip_bomb import docx_bomb

MB = 1024 * 1024


def _cost(run: Callable[[], object]) -> tuple[float, float]:
    """Seconds and peak MB that ``run`` allocates (exceptions are part of the run)."""
    tracemalloc.start()
    started = time.perf_counter()
    try:
        run()
    except (AmountError, UnlesbaresDokument):
        pass
    finally:
        seconds = time.perf_counter() - started
        peak = tracemalloc.get_traced_memory()[1] / MB
        tracemalloc.stop()
    return seconds, peak


# --- amounts ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "value"),
    [
        ("0", "0"),
        ("9490.00", "9490.00"),
        ("9490,5", "9490.5"),
        ("-12.30", "-12.30"),
        (" 999999999999.99 ", "999999999999.99"),
        ("000000000000000007.00", "7.00"),  # leading zeros are no digits of the value
        ("-0000", "-0"),
    ],
)
def test_a_bounded_amount_is_read_exactly(text: str, value: str) -> None:
    assert bounded_decimal(text).as_tuple() == Decimal(value).as_tuple()  # digits and exponent


@pytest.mark.parametrize(
    ("text", "code"),
    [
        ("NaN", "form"),
        ("sNaN", "form"),
        ("Infinity", "form"),
        ("-inf", "form"),
        ("1e400", "form"),
        ("1e999999999", "form"),
        ("1E+2", "form"),
        ("0x10", "form"),
        ("١٢٣", "form"),  # Arabic-Indic digits: Decimal takes them, we do not
        ("1_000", "form"),
        ("", "form"),
        ("1.000.000", "form"),
        ("1000000000000", "vorkomma"),
        ("9" * 5000, "vorkomma"),
        ("1.234", "nachkomma"),
        ("0." + "0" * 2 + "1", "nachkomma"),
    ],
)
def test_anything_else_is_refused_with_its_reason(text: str, code: str) -> None:
    with pytest.raises(AmountError) as refused:
        bounded_decimal(text)
    assert refused.value.code == code


def test_twenty_million_zeros_are_refused_in_a_blink_and_without_memory() -> None:
    text = "0." + "0" * 20_000_000 + "1"
    seconds, peak = _cost(lambda: bounded_decimal(text))
    assert seconds < 1 and peak < 1, (seconds, peak)
    with pytest.raises(AmountError, match="mehr als zwei Nachkommastellen"):
        bounded_decimal(text)


def test_toml_numbers_are_bounded_as_their_literal() -> None:
    assert bounded_number(21000) == Decimal("21000")
    assert bounded_number(0.1) == Decimal("0.1")
    for number in (10**12, float("inf"), float("nan"), 1e16, 1e-5):
        with pytest.raises(AmountError):
            bounded_number(number)
    assert bounded_decimal("0.375", SHARE) == Decimal("0.375")
    with pytest.raises(AmountError):
        bounded_decimal("0.375", AMOUNT)


def test_a_toml_proof_names_the_field_and_shows_the_amount_shortened() -> None:
    for amount, phrase in [
        ('"1e999999999"', 'erwartet einen Betrag wie "1234.56", gefunden: Text „1e999999999“'),
        ("1e400", "gefunden: Zahl „inf“"),  # TOML's own float overflows to infinity
        ("nan", "gefunden: Zahl „nan“"),
        ("1234567890123", "„1234567890123“ ist unplausibel groß"),
        ('"0.' + "0" * 500_000 + '1"', "„0.0000000000000000000000…“ hat mehr als zwei"),
        ("9" * 5000, "eine ganze Zahl hat zu viele Stellen"),  # over Python's 4300 digits
    ]:
        problems = parse(f"jahr = 2026\nzuschuss = {amount}\n")
        assert isinstance(problems, list)
        found = [str(p) for p in problems if phrase in p.message]
        assert found and len(found[0]) < 200, (amount, [str(p)[:200] for p in problems])


def test_a_toml_proof_longer_than_a_megabyte_is_refused_before_it_is_parsed() -> None:
    text = 'jahr = 2026\nzuschuss = "0.' + "0" * 20_000_000 + '1"\n'
    seconds, peak = _cost(lambda: parse(text))
    problems = parse(text)
    assert isinstance(problems, list)
    assert [str(p) for p in problems] == [
        "datei: ist länger als 1 MB (ein Verwendungsnachweis hat wenige KB)"
    ]
    assert seconds < 0.5 and peak < 1, (seconds, peak)


def test_the_form_sums_and_the_config_use_the_same_bounds() -> None:
    assert _money("9.880,00 €") == Decimal("9880.00")
    assert _money("1e400") is None and _money("1" * 13) is None and _money("0,001") is None
    assert parse_money("7000.00") == Decimal("7000.00")
    assert parse_money("0.125") == Decimal("0.125")  # a share in the policy
    assert parse_money("1e400") is None and parse_money("NaN") is None
    assert parse_money("7000,00") is None  # the config asks for a point


# --- ZIP containers --------------------------------------------------------------------------


@pytest.mark.parametrize("declared", ["honest", "small"])
def test_a_gigabyte_docx_bomb_costs_at_most_its_budget(declared: str) -> None:
    bomb = docx_bomb(1024, "honest" if declared == "honest" else "small")
    assert len(bomb) < 1.2 * MB
    seconds, peak = _cost(lambda: docx_elements(bomb, "Leitfrage"))
    with pytest.raises(UnlesbaresDokument) as refused:
        docx_elements(bomb, "Leitfrage")
    phrase = "entpackt sich auf mehr als 64 MB" if declared == "honest" else "kein lesbares DOCX"
    assert phrase in str(refused.value)
    assert seconds < 2 and peak < 48, (seconds, peak)


def _zip(parts: list[tuple[str, bytes]], method: int = zipfile.ZIP_DEFLATED) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", method) as archive:
        for name, data in parts:
            archive.writestr(name, data)
    return buffer.getvalue()


def test_parts_a_docx_never_has_are_refused_unread() -> None:
    bzip2 = _zip([("word/document.xml", b" " * MB)], zipfile.ZIP_BZIP2)  # inflates unbounded
    with pytest.raises(ValueError, match="kein lesbares DOCX"):
        repacked(bzip2)
    many = _zip([(f"teil{i}.xml", b"") for i in range(MAX_PARTS + 1)])
    with pytest.raises(ValueError, match="mehr als 2000 Teile"):
        repacked(many)


def test_a_crc_that_does_not_match_the_bytes_is_refused() -> None:
    good = _zip([("word/document.xml", b"<w:document/>" * 100)], zipfile.ZIP_STORED)
    broken = good.replace(b"<w:document/>" * 2, b"<w:dokument/>" * 2, 1)
    assert broken != good
    with pytest.raises(ValueError, match="kein lesbares DOCX"):
        repacked(broken)


def test_a_real_docx_comes_through_the_repacking_unchanged() -> None:
    from docx import Document

    buffer = io.BytesIO()
    document = Document()
    document.add_heading("1. Profil", level=1)
    document.add_paragraph("Text im Bericht")
    document.save(buffer)
    with zipfile.ZipFile(io.BytesIO(repacked(buffer.getvalue()))) as copy:
        assert all(p.compress_type == zipfile.ZIP_STORED for p in copy.infolist())
    texts = [getattr(e, "text", "") for e in docx_elements(buffer.getvalue(), "Leitfrage")]
    assert texts == ["1. Profil", "Text im Bericht"]


# --- [web] body_timeout_s ------------------------------------------------------------------


@pytest.mark.parametrize(
    ("line", "problem"),
    [
        ("body_timeout_s = 0", "web.body_timeout_s: 0 ist nicht erlaubt (muss zwischen 1 und 3600"),
        ('body_timeout_s = "30"', "web.body_timeout_s: erwartet eine ganze Zahl"),
        ("body_timeout_s = 5000", "web.body_timeout_s: 5000 ist nicht erlaubt"),
    ],
)
def test_the_body_timeout_is_validated(tmp_path: Path, line: str, problem: str) -> None:
    minimal = Path(__file__).parent / "data" / "config" / "minimal.toml"
    (tmp_path / "config.toml").write_text(
        minimal.read_text(encoding="utf-8") + f"\n[web]\n{line}\n", encoding="utf-8"
    )
    with pytest.raises(ConfigError) as refused:
        load(tmp_path / "config.toml", {})
    assert any(p.startswith(problem) for p in refused.value.problems), refused.value.problems


def test_the_body_timeout_defaults_to_thirty_seconds(tmp_path: Path) -> None:
    minimal = Path(__file__).parent / "data" / "config" / "minimal.toml"
    (tmp_path / "config.toml").write_text(minimal.read_text(encoding="utf-8"), encoding="utf-8")
    assert load(tmp_path / "config.toml", {}).web.body_timeout_s == 30
