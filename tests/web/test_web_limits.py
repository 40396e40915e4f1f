"""Bounded work per request and slow clients (issue 18, items 2 and 9), against a real process.

Each attack runs against ``zyklus web`` on loopback while its memory is read from
``/proc/<pid>/status``: the peak (``VmHWM``, reset through ``clear_refs`` before each attack)
may exceed the resident size before it by less than 100 MB, and every answer must be a 4xx
(or, without a session, the redirect to the login) with a German text within 2 s.
The raw-socket client keeps sending its body while it waits for the answer, as an attacker's
does; it stops when the answer has come.
"""

from __future__ import annotations

import contextlib
import re
import socket
import threading
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlsplit

import httpx
import pytest

from tests.portal.conftest import KALTENMOOR, exchange, mint
from tests.web.conftest import Site, csrf, login, make_site, running
from tests.zip_bomb import docx_bomb

MB = 1024 * 1024
BODY_TIMEOUT_S = 2
BIG = b"a" * (24 * MB)


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Site]:
    """kaltenmoor 2026 waits for its Verwendungsnachweis, hanseviertel for its Jahresbericht."""
    s = make_site(
        tmp_path_factory.mktemp("limits"), "2026-04-02T08:00", f"body_timeout_s = {BODY_TIMEOUT_S}"
    )
    for stage in ("auftaktgespraech", "fachtag", "auswertungsgespraech", "jahresbericht"):
        s.ok("waive", "kaltenmoor", "2026", stage, "--reason", "Test")
        if stage != "jahresbericht":
            s.ok("waive", "hanseviertel", "2026", stage, "--reason", "Test")
    s.now = "2027-05-25T09:00"
    with running(s):
        yield s


# --- a raw HTTP/1.1 client -------------------------------------------------------------------


@dataclass
class Answer:
    status: int
    headers: dict[str, str]
    text: str
    seconds: float


def _address(site: Site) -> tuple[str, int]:
    parts = urlsplit(site.url)
    assert parts.hostname and parts.port
    return parts.hostname, parts.port


def _request(
    site: Site, head: str, body: bytes = b"", chunked: bool = False, pause: float = 0.0
) -> Answer:
    """Send ``head`` and then ``body`` (64 KB pieces, or single bytes ``pause`` seconds apart)
    from a second thread while this one reads the answer; stop sending once it is in."""
    connection = socket.create_connection(_address(site))
    connection.settimeout(30)
    started, answered = time.monotonic(), threading.Event()

    def pump() -> None:
        try:
            connection.sendall(head.encode("latin-1"))
            view, step = memoryview(body), 1 if pause else 64 * 1024
            for at in range(0, len(view), step):
                if answered.is_set():
                    return
                piece = view[at : at + step]
                if chunked:
                    connection.sendall(b"%x\r\n" % len(piece) + piece + b"\r\n")
                else:
                    connection.sendall(piece)
                time.sleep(pause)
            connection.sendall(b"0\r\n\r\n" if chunked else b"")
        except OSError:
            pass  # the server answered and closed: what the attacker gets

    sender = threading.Thread(target=pump, daemon=True)
    sender.start()
    received = b""
    try:
        while (answer := _parsed(received, started)) is None:
            data = connection.recv(65536)
            if not data:
                break
            received += data
    except ConnectionResetError:
        pass  # what came before the reset is still the answer
    finally:
        answered.set()
        with contextlib.suppress(OSError):
            connection.shutdown(socket.SHUT_RDWR)
        sender.join()
        connection.close()
    answer = _parsed(received, started)
    assert answer is not None, received[:500]
    return answer


def _parsed(received: bytes, started: float) -> Answer | None:
    """The answer once it is complete (``Content-Length``), else None."""
    head, found, rest = received.partition(b"\r\n\r\n")
    if not found:
        return None
    lines = head.decode("latin-1").split("\r\n")
    headers = {
        name.strip().lower(): value.strip()
        for name, _, value in (line.partition(":") for line in lines[1:])
    }
    length = int(headers.get("content-length", "0"))
    if len(rest) < length:
        return None
    seconds = time.monotonic() - started
    return Answer(int(lines[0].split()[1]), headers, rest[:length].decode("utf-8"), seconds)


def _post_head(
    path: str, length: int | None, kind: str, cookies: str = "", chunked: bool = False
) -> str:
    lines = [f"POST {path} HTTP/1.1", "Host: 127.0.0.1", f"Content-Type: {kind}"]
    lines.append("Transfer-Encoding: chunked" if chunked else f"Content-Length: {length}")
    if cookies:
        lines.append(f"Cookie: {cookies}")
    return "\r\n".join(lines) + "\r\n\r\n"


BOUNDARY = "----zyklusgrenze"


def _multipart(fields: dict[str, str], file_field: str, filename: str, data: bytes) -> bytes:
    out = b""
    for name, value in fields.items():
        out += (
            f'--{BOUNDARY}\r\nContent-Disposition: form-data; name="{name}"\r\n\r\n{value}\r\n'
        ).encode()
    out += (
        f'--{BOUNDARY}\r\nContent-Disposition: form-data; name="{file_field}"; '
        f'filename="{filename}"\r\nContent-Type: application/octet-stream\r\n\r\n'
    ).encode()
    return out + data + f"\r\n--{BOUNDARY}--\r\n".encode()


def _cookies(client: httpx.Client) -> str:
    return "; ".join(f"{name}={value}" for name, value in client.cookies.items())


# --- memory of the server --------------------------------------------------------------------


def _status_kb(site: Site, key: str) -> int:
    assert site.process is not None
    text = Path(f"/proc/{site.process.pid}/status").read_text()
    found = re.search(rf"^{key}:\s+(\d+) kB", text, re.M)
    assert found, text
    return int(found[1])


class Memory:
    """The server's resident size now, and its peak since ``__init__`` (``clear_refs`` 5)."""

    def __init__(self, site: Site) -> None:
        assert site.process is not None
        self.site = site
        Path(f"/proc/{site.process.pid}/clear_refs").write_text("5")
        self.before = _status_kb(site, "VmRSS")

    def growth_mb(self) -> float:
        return (_status_kb(self.site, "VmHWM") - self.before) / 1024


def _attack(site: Site, requests: list[tuple[str, bytes, bool]]) -> tuple[list[Answer], float]:
    """Run ``(head, body, chunked)`` requests at once; the answers and the server's growth."""
    memory = Memory(site)

    with ThreadPoolExecutor(max_workers=len(requests)) as pool:
        answers = list(pool.map(lambda r: _request(site, r[0], r[1], chunked=r[2]), requests))
    return answers, memory.growth_mb()


def _german_refusal(answer: Answer, status: int, phrase: str) -> None:
    assert answer.status == status, (answer.status, answer.text[:300])
    assert phrase in answer.text, answer.text[:500]
    assert answer.seconds < 2, answer.seconds
    assert "Traceback" not in answer.text


# --- item 2: bodies ------------------------------------------------------------------------


def test_thirty_24_mb_logins_without_a_session_are_refused_unread(site: Site):
    form = "application/x-www-form-urlencoded"
    body = b"benutzername=" + BIG[:-13]
    requests = [(_post_head("/anmelden", len(body), form), body, False)] * 15
    requests += [(_post_head("/anmelden", None, form, chunked=True), body, True)] * 15
    answers, growth = _attack(site, requests)
    for answer in answers:
        _german_refusal(answer, 413, "zu groß")
    assert growth < 100, growth
    assert httpx.get(f"{site.url}/anmelden").status_code == 200  # still serving


def test_thirty_24_mb_uploads_are_refused_before_the_file_is_read(site: Site):
    """No session (redirect), a reading role (403 before the body), a wrong CSRF token (403
    before the file part): the Jahresbericht upload route of hanseviertel."""
    path = "/zyklus/hanseviertel/2026/jahresbericht/submit"
    kind = f"multipart/form-data; boundary={BOUNDARY}"
    reader, writer = login(site.url, "lesend"), login(site.url, "koord")
    token = csrf(reader.get("/zyklus/hanseviertel/2026").text)
    good = _multipart({"csrftoken": token}, "upload", "bericht.docx", BIG)
    forged = _multipart({"csrftoken": "gefälscht"}, "upload", "bericht.docx", BIG)
    requests = [(_post_head(path, len(good), kind), good, False)] * 10
    requests += [(_post_head(path, len(good), kind, _cookies(reader)), good, False)] * 10
    requests += [(_post_head(path, len(forged), kind, _cookies(writer)), forged, False)] * 10
    answers, growth = _attack(site, requests)
    for answer in answers[:10]:
        assert answer.status == 303 and answer.headers["location"].startswith("/anmelden")
        assert answer.seconds < 2
    for answer in answers[10:20]:
        _german_refusal(answer, 403, "Als lesend dürfen Sie nicht")
    for answer in answers[20:]:
        _german_refusal(answer, 403, "Sicherheitsprüfung fehlgeschlagen")
    assert growth < 100, growth
    assert writer.get("/zyklus/hanseviertel/2026").status_code == 200  # sessions still valid
    reader.close()
    writer.close()


def test_form_fields_are_limited_to_one_megabyte_together(site: Site):
    client = login(site.url, "koord")
    token = csrf(client.get("/zyklus/kaltenmoor/2026").text)
    fields = {"csrftoken": token, **{f"feld{i}": "x" * (300 * 1024) for i in range(4)}}
    answer = client.post(
        "/zyklus/kaltenmoor/2026/notiz", files={k: (None, v) for k, v in fields.items()}
    )
    assert answer.status_code == 413 and "zusammen größer als 1024 KB" in answer.text
    small = client.post("/zyklus/kaltenmoor/2026/notiz", data={"csrftoken": token, "text": "ok"})
    assert small.status_code == 303  # one field of a few bytes is fine
    client.close()


def test_a_file_sent_to_a_form_without_files_is_refused(site: Site):
    client = login(site.url, "koord")
    token = csrf(client.get("/zyklus/kaltenmoor/2026").text)
    answer = client.post(
        "/zyklus/kaltenmoor/2026/notiz",
        data={"csrftoken": token, "text": "Notiz"},
        files={"anhang": ("a.bin", b"x" * 1000)},
    )
    assert answer.status_code == 400 and "nimmt keine Dateien an" in answer.text
    client.close()


def test_the_csrf_token_must_come_before_the_file(site: Site):
    """A form whose token follows the file is refused at the file: the file is never read."""
    client = login(site.url, "koord")
    token = csrf(client.get("/zyklus/hanseviertel/2026").text)
    body = (
        f'--{BOUNDARY}\r\nContent-Disposition: form-data; name="upload"; '
        'filename="b.md"\r\n\r\n# Bericht\r\n'
        f'--{BOUNDARY}\r\nContent-Disposition: form-data; name="csrftoken"\r\n\r\n{token}\r\n'
        f"--{BOUNDARY}--\r\n"
    ).encode()
    answer = client.post(
        "/zyklus/hanseviertel/2026/jahresbericht/submit",
        content=body,
        headers={"content-type": f"multipart/form-data; boundary={BOUNDARY}"},
    )
    assert answer.status_code == 403 and "Sicherheitsprüfung" in answer.text
    client.close()


# --- item 2: what a body holds -------------------------------------------------------------


@pytest.mark.parametrize("declared", ["honest", "small"])
def test_a_docx_bomb_is_refused_by_what_it_unpacks_to(site: Site, declared: str):
    """1 MB of DEFLATE that unpacks to 1 GiB, with true or patched (and CRC-forged) sizes."""
    client = login(site.url, "koord")
    token = csrf(client.get("/zyklus/hanseviertel/2026").text)
    bomb = docx_bomb(1024, "honest" if declared == "honest" else "small")
    kind = f"multipart/form-data; boundary={BOUNDARY}"
    body = _multipart({"csrftoken": token}, "upload", "jahresbericht.docx", bomb)
    head = _post_head("/zyklus/hanseviertel/2026/jahresbericht/submit", len(body), kind)
    answers, growth = _attack(
        site, [(head[:-2] + f"Cookie: {_cookies(client)}\r\n\r\n", body, False)]
    )
    phrase = "entpackt sich auf mehr als 64 MB" if declared == "honest" else "kein lesbares DOCX"
    _german_refusal(answers[0], 409, phrase)  # refused by the bus: nothing stored
    assert growth < 100, growth
    client.close()


def _portal_form(site: Site) -> tuple[httpx.Client, str]:
    client = httpx.Client(base_url=site.url, follow_redirects=False, timeout=30)
    assert exchange(client, mint(site, KALTENMOOR)).status_code == 303
    page = client.get("/portal/verwendungsnachweis/kaltenmoor/2026")
    assert page.status_code == 200, page.text[:300]
    return client, csrf(page.text)


@pytest.mark.parametrize(
    ("amount", "phrase"),
    [
        ("1e400", "erwartet einen Betrag"),
        ("1e999999999", "erwartet einen Betrag"),
        ("NaN", "erwartet einen Betrag"),
        ("-Infinity", "erwartet einen Betrag"),
        ("1234567890123,00", "mehr als 12 Stellen vor dem Komma"),
        ("12,345", "mehr als zwei Nachkommastellen"),
        ("0." + "0" * (900 * 1024) + "1", "mehr als zwei Nachkommastellen"),
    ],
    ids=["1e400", "1e999999999", "nan", "infinity", "13-digits", "3-decimals", "900k-zeros"],
)
def test_an_unbounded_amount_in_the_portal_form_is_a_field_error(
    site: Site, amount: str, phrase: str
):
    client, token = _portal_form(site)
    memory = Memory(site)
    started = time.monotonic()
    answer = client.post(
        "/portal/verwendungsnachweis/kaltenmoor/2026",
        data={"csrftoken": token, "zuschuss": amount, "aktion": "pruefen"},
    )
    seconds, growth = time.monotonic() - started, memory.growth_mb()
    assert answer.status_code == 422, answer.text[:300]
    field = re.search(r'<p class="feldfehler" id="fehler-zuschuss">([^<]+)</p>', answer.text)
    assert field and phrase in field[1], answer.text[:2000]
    assert len(field[1]) < 200  # the message shows the amount shortened
    assert seconds < 2 and growth < 100, (seconds, growth)
    client.close()


def test_a_twenty_million_digit_amount_is_refused_in_the_form_and_in_a_toml_upload(site: Site):
    huge = "0." + "0" * 20_000_000 + "1"
    client, token = _portal_form(site)
    body = f"csrftoken={token}&aktion=pruefen&zuschuss={huge}".encode()
    head = _post_head(
        "/portal/verwendungsnachweis/kaltenmoor/2026",
        len(body),
        "application/x-www-form-urlencoded",
        _cookies(client),
    )
    staff = login(site.url, "koord")
    staff_token = csrf(staff.get("/zyklus/kaltenmoor/2026").text)
    toml = f'jahr = 2026\nzuschuss = "{huge}"\n'.encode()
    upload = _multipart({"csrftoken": staff_token}, "upload", "vn.toml", toml)
    upload_head = _post_head(
        "/zyklus/kaltenmoor/2026/verwendungsnachweis/submit",
        len(upload),
        f"multipart/form-data; boundary={BOUNDARY}",
        _cookies(staff),
    )
    answers, growth = _attack(site, [(head, body, False), (upload_head, upload, False)])
    _german_refusal(answers[0], 413, "zusammen größer als 1024 KB")
    _german_refusal(answers[1], 409, "länger als 1 MB")
    assert growth < 100, growth
    client.close()
    staff.close()


# --- item 9: slow clients ------------------------------------------------------------------


def test_a_slow_body_is_cut_off_after_the_body_timeout(site: Site):
    head = _post_head("/anmelden", 1000, "application/x-www-form-urlencoded")
    answer = _request(site, head, b"benutzername=" + b"x" * 987, pause=0.2)
    assert answer.status == 408 and "Zeitüberschreitung" in answer.text
    assert BODY_TIMEOUT_S <= answer.seconds < BODY_TIMEOUT_S + 1.5, answer.seconds
    assert answer.headers.get("connection") == "close"
    assert "content-security-policy" in answer.headers


def _closed_within(connection: socket.socket, seconds: float) -> float | None:
    """Seconds until the server closed ``connection`` (EOF or reset), None if it did not."""
    started = time.monotonic()
    connection.settimeout(seconds)
    try:
        while connection.recv(4096):
            pass
    except TimeoutError:
        return None
    except ConnectionResetError:
        pass
    return time.monotonic() - started


def test_fifty_slow_header_connections_are_closed_after_the_header_timeout(site: Site):
    host, port = _address(site)
    slow = []
    for i in range(50):
        connection = socket.create_connection((host, port))
        connection.sendall(
            f"GET /anmelden?n={i} HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Langsam: ".encode()
        )
        slow.append(connection)
    try:
        for connection in slow:
            waited = _closed_within(connection, BODY_TIMEOUT_S + 2)
            assert waited is not None, "a slow-header connection stayed open"
        assert httpx.get(f"{site.url}/anmelden").status_code == 200
    finally:
        for connection in slow:
            connection.close()


def test_an_idle_keep_alive_connection_is_closed(site: Site):
    host, port = _address(site)
    with socket.create_connection((host, port)) as connection:
        connection.sendall(b"GET /anmelden HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n")
        time.sleep(0.3)
        assert connection.recv(65536).startswith(b"HTTP/1.1 200")
        waited = _closed_within(connection, BODY_TIMEOUT_S + 2)
        assert waited is not None and waited < BODY_TIMEOUT_S + 1


def test_a_body_sent_after_an_early_answer_must_not_trickle_on(site: Site):
    """Without a session the answer comes before the body; the rest may not arrive forever."""
    host, port = _address(site)
    with socket.create_connection((host, port)) as connection:
        head = _post_head(
            "/zyklus/kaltenmoor/2026/notiz", 10_000, "application/x-www-form-urlencoded"
        )
        connection.sendall(head.encode())
        connection.settimeout(5)
        assert connection.recv(65536).startswith(b"HTTP/1.1 303")
        started = time.monotonic()
        with pytest.raises((BrokenPipeError, ConnectionResetError)):
            while time.monotonic() - started < BODY_TIMEOUT_S + 3:
                connection.sendall(b"x")
                time.sleep(0.2)
            raise AssertionError("the connection stayed open")
