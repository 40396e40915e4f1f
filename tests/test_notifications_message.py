"""OutgoingEmail, header safety, Message-ID and the MIME form."""

from __future__ import annotations

import copy
import pickle
from datetime import datetime
from email import policy
from email.parser import BytesParser
from zoneinfo import ZoneInfo

import pytest

from notifications.message import (
    Attachment,
    OutgoingEmail,
    clean_header,
    domain_of,
    from_payload,
    message_id_for,
    parse_address,
    to_mime,
    to_payload,
)

BERLIN = ZoneInfo("Europe/Berlin")
NOW = datetime(2026, 3, 3, 8, 0, tzinfo=BERLIN)


def make_email(**changes: object) -> OutgoingEmail:
    values: dict[str, object] = {
        "sender": "Koordinierungsstelle Stadtteilarbeit <stadtteilarbeit@example.org>",
        "to": ("Jürgen Müller <j.mueller@example.org>", "Özlem Şahin <o.sahin@example.org>"),
        "cc": ("Koordinierungsstelle <stadtteilarbeit@example.org>",),
        "subject": "Erinnerung: Auftaktgespräch Kaltenmoor – fällig am 31.03.2026",
        "text": "Guten Tag,\n\nbitte vereinbaren Sie einen Termin.\n\nGrüße\n",
        "html": "<p>Guten Tag,</p><p>bitte vereinbaren Sie einen Termin.</p>",
        "message_id": message_id_for(["cycle:1|stage:auftakt|erinnerung|1"], "example.org"),
        "date": NOW,
    }
    values.update(changes)
    return OutgoingEmail(**values)  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("raw", "clean"),
    [
        ("Erinnerung\r\nBcc: evil@example.org", "Erinnerung Bcc: evil@example.org"),
        ("a\nb\rc\td\x00e\x1bf", "a b c d e f"),
        ("Zeile\u2028Trenner\u0085NEL", "Zeile Trenner NEL"),
        ("  viel   Platz  ", "viel Platz"),
        ("Grüße aus Lüneburg", "Grüße aus Lüneburg"),
    ],
)
def test_clean_header_turns_control_characters_into_single_spaces(raw: str, clean: str) -> None:
    assert clean_header(raw) == clean


def test_the_message_id_is_stable_and_independent_of_the_key_order() -> None:
    first = message_id_for(["b", "a"], "example.org")
    assert first == message_id_for(["a", "b"], "example.org")
    assert first != message_id_for(["a", "c"], "example.org")
    assert first.startswith("<") and first.endswith("@example.org>")
    assert len(first) == len("<@example.org>") + 32


def test_a_message_id_refuses_an_empty_key_list_or_a_bad_domain() -> None:
    with pytest.raises(ValueError):
        message_id_for([], "example.org")
    with pytest.raises(ValueError):
        message_id_for(["a"], "exa mple.org>\r\nX: y")


def test_an_address_with_a_comma_and_umlauts_in_the_name_is_parsed_whole() -> None:
    address = parse_address('"Müller, Jürgen (AWO)" <j.mueller@example.org>')
    assert address.display_name == "Müller, Jürgen (AWO)"
    assert address.addr_spec == "j.mueller@example.org"
    assert domain_of("Koordinierungsstelle <k@stadt.example.org>") == "stadt.example.org"


@pytest.mark.parametrize("bad", ["", "kein-at-zeichen", "Name <>", "a b@example.org"])
def test_a_bad_address_is_refused(bad: str) -> None:
    with pytest.raises(ValueError):
        parse_address(bad)


def test_a_naive_date_or_no_recipient_is_refused() -> None:
    with pytest.raises(ValueError):
        make_email(date=datetime(2026, 3, 3, 8, 0))
    with pytest.raises(ValueError):
        make_email(to=(), cc=())


def test_envelope_recipients_are_bare_addresses_without_duplicates() -> None:
    email = make_email(cc=("Jürgen <J.Mueller@example.org>", "k@example.org"))
    assert email.recipients == (
        "j.mueller@example.org",
        "o.sahin@example.org",
        "J.Mueller@example.org",
        "k@example.org",
    )
    assert make_email(cc=("j.mueller@example.org",)).recipients == (
        "j.mueller@example.org",
        "o.sahin@example.org",
    )


def test_the_mime_form_round_trips_umlauts_dates_and_ids() -> None:
    email = make_email()
    wire = to_mime(email).as_bytes(policy=policy.SMTP)
    parsed = BytesParser(policy=policy.default).parsebytes(wire)
    assert parsed["Subject"] == email.subject
    assert parsed["From"].addresses[0].display_name == "Koordinierungsstelle Stadtteilarbeit"
    names = [a.display_name for a in parsed["To"].addresses]
    assert names == ["Jürgen Müller", "Özlem Şahin"]
    assert parsed["Message-ID"] == email.message_id
    assert parsed["Date"].datetime == NOW
    assert parsed["Auto-Submitted"] == "auto-generated"
    plain = parsed.get_body(("plain",))
    assert plain is not None
    assert plain.get_content().replace("\r\n", "\n") == email.text
    html = parsed.get_body(("html",))
    assert html is not None and "bitte vereinbaren" in html.get_content()
    assert wire.isascii()  # everything is encoded: safe for servers without SMTPUTF8


def test_crlf_in_subject_and_names_never_produces_an_extra_header() -> None:
    email = make_email(
        subject="Hallo\r\nBcc: evil@example.org",
        to=("Eve\r\nBcc: evil@example.org <eve@example.org>",),
    )
    wire = to_mime(email).as_bytes(policy=policy.SMTP)
    header_block = wire.split(b"\r\n\r\n", 1)[0]
    assert not any(line.lower().startswith(b"bcc:") for line in header_block.split(b"\r\n"))
    parsed = BytesParser(policy=policy.default).parsebytes(wire)
    assert parsed["Bcc"] is None
    assert parsed["Subject"] == "Hallo Bcc: evil@example.org"
    assert email.recipients == ("eve@example.org", "stadtteilarbeit@example.org")


def test_a_calendar_attachment_keeps_its_method_parameter() -> None:
    ics = b"BEGIN:VCALENDAR\r\nMETHOD:REQUEST\r\nEND:VCALENDAR\r\n"
    leitfaden = "# Leitfaden Auftaktgespräch\n".encode()
    email = make_email(
        attachments=(
            Attachment("einladung.ics", "text/calendar; method=REQUEST; charset=utf-8", ics),
            Attachment("leitfaden-auftaktgespräch.md", "text/markdown; charset=utf-8", leitfaden),
        )
    )
    parsed = BytesParser(policy=policy.default).parsebytes(to_mime(email).as_bytes())
    parts = {p.get_filename(): p for p in parsed.iter_attachments()}
    assert set(parts) == {"einladung.ics", "leitfaden-auftaktgespräch.md"}
    calendar = parts["einladung.ics"]
    assert calendar.get_content_type() == "text/calendar"
    assert calendar.get_param("method") == "REQUEST"
    assert calendar.get_payload(decode=True) == ics
    assert parts["leitfaden-auftaktgespräch.md"].get_payload(decode=True) == leitfaden


def test_the_json_payload_round_trips_the_whole_message() -> None:
    email = make_email(attachments=(Attachment("a.bin", "application/octet-stream", b"\x00\xff"),))
    assert from_payload(to_payload(email)) == email
    assert from_payload(to_payload(make_email(html=None))).html is None


def _header_lines(wire: bytes) -> list[bytes]:
    return wire.split(b"\r\n\r\n", 1)[0].split(b"\r\n")


def test_an_encoded_word_in_the_subject_stays_text_and_never_becomes_a_header() -> None:
    subject = "=?utf-8?q?Evil=0D=0ABcc:_x@evil.org?= Erinnerung"
    wire = to_mime(make_email(subject=subject)).as_bytes(policy=policy.SMTP)
    assert not any(line.lower().startswith(b"bcc:") for line in _header_lines(wire))
    parsed = BytesParser(policy=policy.default).parsebytes(wire)
    assert parsed["Bcc"] is None
    assert parsed["Subject"] == subject


def test_long_subjects_and_address_lists_fold_within_78_characters_and_read_back_exactly() -> None:
    subject = "Erinnerung: Verwendungsnachweis für Kaltenmoor – fällig am 31.03.2026 " * 3
    names = [f"Jürgen Müller-Lüdenscheidt {i}" for i in range(5)] + ["Stadt (Büro), Lüneburg"]
    to = tuple(f'"{name}" <person{i}@example.org>' for i, name in enumerate(names))
    email = make_email(subject=subject.strip(), to=to, cc=("Plain Name <plain@example.org>",))
    wire = to_mime(email).as_bytes(policy=policy.SMTP)
    assert all(len(line) <= 78 for line in wire.split(b"\r\n"))
    assert wire.isascii()
    parsed = BytesParser(policy=policy.default).parsebytes(wire)
    assert parsed["Subject"] == email.subject
    assert [(a.display_name, a.addr_spec) for a in parsed["To"].addresses] == [
        (name, f"person{i}@example.org") for i, name in enumerate(names)
    ]
    assert [a.display_name for a in parsed["Cc"].addresses] == ["Plain Name"]


def test_ascii_names_with_specials_are_quoted_and_plain_ones_are_not() -> None:
    email = make_email(to=('"Meier, Anna (AWO)" <a@example.org>', "Anna Meier <b@example.org>"))
    wire = to_mime(email).as_bytes(policy=policy.SMTP)
    to_line = next(line for line in _header_lines(wire) if line.startswith(b"To:"))
    assert to_line == b'To: "Meier, Anna (AWO)" <a@example.org>, Anna Meier <b@example.org>'


def test_an_address_the_cheap_path_cannot_write_goes_through_the_email_package() -> None:
    email = make_email(to=("Jürgen <j@müller.example>",), cc=())
    msg = to_mime(email)  # a non-ASCII domain: left to the email package, as before
    assert msg["To"].addresses[0].domain == "müller.example"
    assert msg.as_bytes(policy=policy.SMTPUTF8).startswith(b"From: ")


def test_a_message_survives_copying_and_pickling_unchanged() -> None:
    msg = to_mime(make_email())
    wire = msg.as_bytes(policy=policy.SMTP)
    assert copy.deepcopy(msg).as_bytes(policy=policy.SMTP) == wire
    assert pickle.loads(pickle.dumps(msg)).as_bytes(policy=policy.SMTP) == wire
    assert msg["Content-Type"].content_type == "multipart/alternative"
    assert [p.get_content_type() for p in msg.iter_parts()] == ["text/plain", "text/html"]
