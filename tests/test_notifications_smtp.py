"""SmtpTransport against a real aiosmtpd server on 127.0.0.1."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from datetime import datetime
from pathlib import Path
from typing import TypeVar
from zoneinfo import ZoneInfo

import pytest

from notifications.message import Attachment, OutgoingEmail, message_id_for, to_mime
from notifications.transports import DeliveryError, SendResult, SmtpTransport
from tests.smtp_sink import SmtpSink, free_port, running_sink, self_signed_tls
from tests.smtp_sink import smtp_sink as smtp_sink  # the fixture

BERLIN = ZoneInfo("Europe/Berlin")
SENDER = "stadtteilarbeit@example.org"
T = TypeVar("T")


def run(make: Callable[[], Awaitable[T]]) -> T:
    async def main() -> T:
        return await make()

    return asyncio.run(main())


def make_email(**changes: object) -> OutgoingEmail:
    values: dict[str, object] = {
        "sender": "Koordinierungsstelle Stadtteilarbeit <stadtteilarbeit@example.org>",
        "to": ('"Müller, Jürgen" <j.mueller@example.org>', "Özlem Şahin <o.sahin@example.org>"),
        "cc": ("Koordinierungsstelle Stadtteilarbeit <stadtteilarbeit@example.org>",),
        "subject": "Einladung: Auftaktgespräch Kaltenmoor am Dienstag, 10.03.2026, 10:00 Uhr",
        "text": "Guten Tag,\n\nhiermit laden wir Sie herzlich ein. Schöne Grüße aus Lüneburg\n",
        "html": "<p>Guten Tag,</p><p>Schöne Grüße aus Lüneburg</p>",
        "message_id": message_id_for(["1|auftaktgespraech|2026-03-10|einladung|1"], "example.org"),
        "date": datetime(2026, 3, 3, 8, 0, tzinfo=BERLIN),
        "attachments": (Attachment("einladung.ics", "text/calendar; method=REQUEST", b"BEGIN"),),
    }
    values.update(changes)
    return OutgoingEmail(**values)  # type: ignore[arg-type]


def send_all(transport: SmtpTransport, *emails: OutgoingEmail) -> list[SendResult]:
    async def go() -> list[SendResult]:
        async with transport:
            return [await transport.send(to_mime(e), SENDER, e.recipients) for e in emails]

    return run(go)


def plain(sink: SmtpSink) -> SmtpTransport:
    return SmtpTransport(sink.host, sink.port, "none", timeout=5)


def test_umlauts_survive_subject_body_and_display_names_through_a_real_server(
    smtp_sink: SmtpSink,
) -> None:
    email = make_email()
    assert send_all(plain(smtp_sink), email) == [SendResult({})]
    (received,) = smtp_sink.messages
    msg = received.message
    assert msg["Subject"] == email.subject
    assert [a.display_name for a in msg["To"].addresses] == ["Müller, Jürgen", "Özlem Şahin"]
    assert msg["From"].addresses[0].display_name == "Koordinierungsstelle Stadtteilarbeit"
    plain_body = msg.get_body(("plain",))
    assert plain_body is not None
    assert "Schöne Grüße aus Lüneburg" in plain_body.get_content()
    html = msg.get_body(("html",))
    assert html is not None and "Schöne Grüße" in html.get_content()
    (ics,) = msg.iter_attachments()
    assert ics.get_content_type() == "text/calendar" and ics.get_param("method") == "REQUEST"
    assert received.mail_from == SENDER
    assert received.rcpt_tos == [
        "j.mueller@example.org",
        "o.sahin@example.org",
        "stadtteilarbeit@example.org",
    ]


def test_message_id_and_date_are_on_the_wire_and_stable_across_a_resend(
    smtp_sink: SmtpSink,
) -> None:
    email = make_email()
    send_all(plain(smtp_sink), email)
    send_all(plain(smtp_sink), email)  # a resend after a crash
    first, second = smtp_sink.messages
    assert first.message["Message-ID"] == second.message["Message-ID"] == email.message_id
    assert first.message["Date"].datetime == email.date
    assert first.message["Date"] == second.message["Date"]


def test_crlf_in_subject_and_names_never_reaches_the_wire(smtp_sink: SmtpSink) -> None:
    email = make_email(
        subject="Hallo\r\nBcc: opfer@example.org\r\n\r\nEingeschleuster Text",
        to=("Eve\r\nBcc: opfer@example.org <eve@example.org>",),
        cc=(),
    )
    send_all(plain(smtp_sink), email)
    (received,) = smtp_sink.messages
    headers = received.raw.split(b"\r\n\r\n", 1)[0].split(b"\r\n")
    assert not any(h.lower().startswith(b"bcc") for h in headers)
    assert received.rcpt_tos == ["eve@example.org"]
    assert received.message["Subject"] == "Hallo Bcc: opfer@example.org Eingeschleuster Text"


def test_one_connection_carries_all_messages_of_a_drain(smtp_sink: SmtpSink) -> None:
    transport = plain(smtp_sink)
    send_all(transport, make_email(), make_email(), make_email())
    assert len(smtp_sink.messages) == 3
    assert len({m.peer for m in smtp_sink.messages}) == 1
    assert transport.connections == 1
    assert not transport.is_connected  # closed after the block


def test_a_connection_lost_to_a_server_restart_is_reopened() -> None:
    transport = SmtpTransport("127.0.0.1", free_port(), "none", timeout=5)
    port = transport.port

    async def go() -> None:
        with running_sink(port=port) as first:
            async with transport:
                await transport.send(to_mime(make_email()), SENDER, ["a@example.org"])
                assert len(first.messages) == 1
        with running_sink(port=port) as second:
            await transport.send(to_mime(make_email()), SENDER, ["a@example.org"])
            await transport.close()
            assert len(second.messages) == 1

    run(go)
    assert transport.connections == 2


def test_one_refused_recipient_is_reported_and_the_others_get_the_message(
    smtp_sink: SmtpSink,
) -> None:
    smtp_sink.handler.refuse_recipient("o.sahin@example.org", "550 5.1.1 Postfach unbekannt")
    (result,) = send_all(plain(smtp_sink), make_email())
    assert result.refused == {"o.sahin@example.org": "550 5.1.1 Postfach unbekannt"}
    (received,) = smtp_sink.messages
    assert "o.sahin@example.org" not in received.rcpt_tos


@pytest.mark.parametrize(
    ("reply", "permanent"), [("451 4.2.0 Später", False), ("550 5.1.1 Nein", True)]
)
def test_all_recipients_refused_is_temporary_or_permanent_by_reply_code(
    smtp_sink: SmtpSink, reply: str, permanent: bool
) -> None:
    smtp_sink.handler.refuse_recipient("eve@example.org", reply)
    with pytest.raises(DeliveryError) as caught:
        send_all(plain(smtp_sink), make_email(to=("eve@example.org",), cc=()))
    assert caught.value.permanent is permanent
    assert not caught.value.connection
    assert "abgelehnt" in caught.value.message and reply in caught.value.message


def test_a_refused_transaction_leaves_the_connection_usable(smtp_sink: SmtpSink) -> None:
    smtp_sink.handler.refuse_next(1, "451 4.3.2 Gerade nicht")
    transport = plain(smtp_sink)

    async def go() -> DeliveryError | None:
        async with transport:
            caught = None
            try:
                await transport.send(to_mime(make_email()), SENDER, ["a@example.org"])
            except DeliveryError as exc:
                caught = exc
            await transport.send(to_mime(make_email()), SENDER, ["a@example.org"])
            return caught

    error = run(go)
    assert error is not None and not error.permanent and "451" in error.message
    assert len(smtp_sink.messages) == 1 and transport.connections == 1


def test_a_stalling_server_hits_the_hard_time_bound(smtp_sink: SmtpSink) -> None:
    smtp_sink.handler.data_delay = 2.0
    transport = SmtpTransport(
        smtp_sink.host, smtp_sink.port, "none", timeout=5, send_timeout=0.3, data_timeout=0.3
    )
    with pytest.raises(DeliveryError) as caught:
        send_all(transport, make_email())
    assert not caught.value.permanent
    assert "unterbrochen" in caught.value.message
    assert caught.value.reached and not caught.value.connection  # counts as an attempt
    # the stall came after end-of-DATA: the server may have the message (issue 13 item 3)
    assert caught.value.ambiguous and "ungewiss" in caught.value.message


def test_the_send_bound_covers_open_and_send_with_the_closing_waits() -> None:
    transport = SmtpTransport("127.0.0.1", 25, "none", timeout=5)
    # open 20 + 1 s close; send: 4 × 20 (envelope, reconnect) + DATA 600 + 5 + 2 × 1 s close
    assert (transport.send_timeout, transport.send_bound) == (20, 708)
    short = SmtpTransport("127.0.0.1", 25, "none", timeout=5, data_timeout=10)
    assert short.send_bound == 118


def test_an_unreachable_server_is_a_temporary_connection_error_and_no_attempt() -> None:
    transport = SmtpTransport("127.0.0.1", free_port(), "none", timeout=2)
    with pytest.raises(DeliveryError) as caught:
        send_all(transport, make_email())
    assert caught.value.connection and not caught.value.permanent
    assert not caught.value.reached
    assert "nicht erreichbar" in caught.value.message


def test_starttls_with_login_delivers(tmp_path: Path) -> None:
    tls = self_signed_tls(tmp_path)
    with running_sink(starttls=tls.server, credentials=("zyklus", "geheim")) as sink:
        transport = SmtpTransport(
            sink.host, sink.port, "starttls", "zyklus", "geheim", 5, tls_context=tls.client
        )
        send_all(transport, make_email())
        assert sink.messages[0].message["Subject"] == make_email().subject


def test_wrong_credentials_give_a_clear_german_temporary_error(tmp_path: Path) -> None:
    tls = self_signed_tls(tmp_path)
    with running_sink(starttls=tls.server, credentials=("zyklus", "geheim")) as sink:
        transport = SmtpTransport(
            sink.host, sink.port, "starttls", "zyklus", "falsch", 5, tls_context=tls.client
        )
        with pytest.raises(DeliveryError) as caught:
            send_all(transport, make_email())
        assert not sink.messages
    assert not caught.value.permanent and caught.value.connection
    assert "Anmeldung am SMTP-Server" in caught.value.message
    assert "Benutzername und Passwort" in caught.value.message


def test_implicit_tls_delivers(tmp_path: Path) -> None:
    tls = self_signed_tls(tmp_path)
    with running_sink(implicit_tls=tls.server) as sink:
        transport = SmtpTransport(sink.host, sink.port, "tls", timeout=5, tls_context=tls.client)
        send_all(transport, make_email())
        assert len(sink.messages) == 1


def test_starttls_demanded_but_not_offered_is_a_connection_error(smtp_sink: SmtpSink) -> None:
    transport = SmtpTransport(smtp_sink.host, smtp_sink.port, "starttls", timeout=5)
    with pytest.raises(DeliveryError) as caught:
        send_all(transport, make_email())
    assert caught.value.connection
    assert not smtp_sink.messages


def test_an_unknown_security_mode_is_refused() -> None:
    with pytest.raises(ValueError):
        SmtpTransport("localhost", 25, "ssl")  # type: ignore[arg-type]
