"""When the server cannot answer as planned: a German 500 with a reference, or a German 503.

Real faults on a real ``zyklus web``: a table missing under the running server (a 500 whose
reference number is in the server's log with the traceback); the file system of the workspace
remounted read-only; the file system full (a small tmpfs, filled up); and a partial evidence
file left by a killed writer. These tests mount file systems: they run as root (as the CI and
the development containers do).
"""

from __future__ import annotations

import contextlib
import fcntl
import os
import re
import sqlite3
import subprocess
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from tests.web.checks import assert_security_headers
from tests.web.conftest import Site, csrf, login, make_site, running

REFERENCE = re.compile(r"R-[0-9A-F]{8}")
NOW = "2026-04-02T08:00"


def database(site: Site) -> Path:
    return site.folder / "var" / "zyklus.db"


def stop_and_read_log(site: Site) -> str:
    """Stops the server and returns what it wrote to stderr."""
    assert site.process is not None and site.process.stderr is not None
    site.process.terminate()
    site.process.wait(timeout=10)
    log = site.process.stderr.read().decode()
    site.stop()
    return log


@pytest.fixture
def tmpfs(tmp_path: Path) -> Iterator[Path]:
    """A small file system of its own (4 MB tmpfs), unmounted afterwards."""
    folder = tmp_path / "mnt"
    folder.mkdir()
    subprocess.run(["mount", "-t", "tmpfs", "-o", "size=4m", "tmpfs", str(folder)], check=True)
    try:
        yield folder
    finally:
        subprocess.run(["umount", "-l", str(folder)], check=True)


def audit_count(site: Site) -> int:
    with sqlite3.connect(f"file:{database(site)}?mode=ro", uri=True) as db:
        return int(db.execute("SELECT count(*) FROM audit").fetchone()[0])


def test_an_unexpected_error_is_a_german_500_whose_reference_is_logged(tmp_path: Path):
    site = make_site(tmp_path, NOW)
    site.start()
    try:
        client = login(site.url, "koord")
        with sqlite3.connect(database(site)) as db:  # a fault no route expects
            db.execute("ALTER TABLE outbox RENAME TO outbox_verschoben")
        answer = client.get("/postausgang")
        client.close()
    finally:
        log = stop_and_read_log(site)
    assert answer.status_code == 500
    assert_security_headers(answer)
    assert '<html lang="de"' in answer.text and "Interner Fehler" in answer.text
    assert "Traceback" not in answer.text and "outbox" not in answer.text
    found = REFERENCE.search(answer.text)
    assert found, answer.text
    line = next(x for x in log.splitlines() if found.group(0) in x)
    assert "GET /postausgang" in line and "500" in line
    after = log[log.index(found.group(0)) :]
    assert "Traceback (most recent call last)" in after and "no such table: outbox" in after


@pytest.fixture
def read_only_view(tmp_path: Path) -> Iterator[tuple[Path, Path]]:
    """A workspace folder and a read-only bind mount of it (unmounted afterwards)."""
    folder, view = tmp_path / "rw", tmp_path / "ro"
    folder.mkdir()
    view.mkdir()
    subprocess.run(["mount", "--bind", str(folder), str(view)], check=True)
    try:
        subprocess.run(["mount", "-o", "remount,ro,bind", str(view)], check=True)
        yield folder, view
    finally:
        subprocess.run(["umount", "-l", str(view)], check=True)


def test_a_read_only_database_is_a_german_503_and_nothing_is_written(
    read_only_view: tuple[Path, Path],
):
    folder, view = read_only_view
    site = make_site(folder, NOW)
    with running(site):  # the writable server: makes the session, keeps the WAL files open
        client = login(site.url, "koord")
        token = csrf(client.get("/zyklus/kaltenmoor/2026").text)
        before = audit_count(site)
        with running(Site(view, NOW, dict(site.env))) as frozen:
            client.base_url = httpx.URL(frozen.url)
            note = {"csrftoken": token, "text": "Notiz"}
            answers = [
                client.post("/zyklus/kaltenmoor/2026/notiz", data=note),
                client.post(
                    "/anmelden", data={"benutzername": "koord", "passwort": "x", "csrftoken": token}
                ),
            ]
            pages = [client.get(path) for path in ("/", "/postausgang", "/zyklus/kaltenmoor/2026")]
        for answer in answers:
            assert answer.status_code == 503, answer.text[:400]
            assert "Vorübergehend nicht möglich" in answer.text
            assert "nichts wurde geändert" in answer.text
            assert REFERENCE.search(answer.text)
            assert answer.headers["retry-after"] == "60"
            assert_security_headers(answer)
        for answer in pages:  # reading still works
            assert answer.status_code == 200
            assert_security_headers(answer)
        assert audit_count(site) == before
        client.base_url = httpx.URL(site.url)
        again = client.post("/zyklus/kaltenmoor/2026/notiz", data=note)
        assert again.status_code == 303
        assert audit_count(site) == before + 1
        client.close()


def fill(folder: Path) -> Path:
    """Fills the file system of ``folder`` to the last byte; returns the filler file."""
    filler = folder / "fueller.bin"
    fd = os.open(filler, os.O_WRONLY | os.O_CREAT)
    try:
        for size in (65536, 1):
            with contextlib.suppress(OSError):
                while os.write(fd, b"\0" * size):
                    pass
    finally:
        os.close(fd)
    return filler


def test_a_full_disk_is_a_german_503_with_nothing_half_written(tmpfs: Path):
    site = make_site(tmpfs, NOW)
    with running(site):
        client = login(site.url, "koord")
        token = csrf(client.get("/zyklus/bockelsberg/2026").text)
        before = audit_count(site)
        evidence = site.folder / "var" / "evidence"
        post = {
            "url": "/zyklus/bockelsberg/2026/auftaktgespraech/complete",
            "data": {"csrftoken": token, "on": "2026-03-30", "participants": "4"},
            "files": {"evidence": ("protokoll.txt", os.urandom(200_000))},
        }
        filler = fill(tmpfs)
        try:
            answer = client.post(**post)  # type: ignore[arg-type]
        finally:
            filler.unlink()
        assert answer.status_code == 503, answer.text[:400]
        assert "Vorübergehend nicht möglich" in answer.text
        assert_security_headers(answer)
        assert audit_count(site) == before
        assert not [p for p in evidence.rglob("*") if p.is_file()]  # no partial, no file
        answer = client.post(**post)  # type: ignore[arg-type]
        assert answer.status_code == 303
        assert audit_count(site) > before
        assert [p.name for p in evidence.rglob("*") if p.is_file() and "." in p.name] == []
        client.close()


def test_orphaned_partial_evidence_files_are_removed_at_start(tmp_path: Path):
    site = make_site(tmp_path, NOW)
    folder = site.folder / "var" / "evidence" / "ab"
    folder.mkdir(parents=True)
    orphan = folder / ("ab" + "0" * 62 + ".1a2b3c4d.partial")
    orphan.write_bytes(b"halb")
    busy = folder / ("ab" + "1" * 62 + ".5e6f7a8b.partial")
    kept = folder / ("ab" + "2" * 62)
    kept.write_bytes(b"ganz")
    with busy.open("wb") as writer:  # a writer that is still alive holds its lock
        fcntl.flock(writer, fcntl.LOCK_EX)
        with running(site):
            assert not orphan.exists()
            assert busy.exists()
    assert kept.read_bytes() == b"ganz"
