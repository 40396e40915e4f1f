"""``zyklus backup ZIEL`` and ``zyklus restore QUELLE`` (SPEC §19).

A backup folder holds the database (``zyklus.db`` by SQLite's online backup API, or
``zyklus.pgdump`` by ``pg_dump --format=custom`` when the URL is PostgreSQL), the anchor file
(``audit-anker.txt``), the evidence files (``evidence/``, content-addressed) and
``manifest.sha256`` in ``sha256sum`` format over all of them.

The order makes a backup taken while ``zyklus run`` or ``zyklus web`` write consistent: the
anchor file first (every head in it is committed, so it is in the database copied next), then
the database in one snapshot, then the evidence files (a file is on disk before its row
commits, so every row of the snapshot finds its file). Newer evidence files may come along;
they are harmless.

A restore checks the manifest first, refuses a database that already holds zyklus data unless
told to overwrite, restores the database, the evidence files and the anchor file; the caller
then runs ``audit verify --anchor`` on the restored anchor file. Stop ``zyklus run`` and
``zyklus web`` before a restore.
"""

from __future__ import annotations

import hashlib
import os
import shutil
import sqlite3
import subprocess
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy import inspect, text
from sqlalchemy.engine import URL, make_url

from cycle.bootstrap import App
from cycle.errors import UsageError

MANIFEST = "manifest.sha256"
SQLITE_FILE = "zyklus.db"
PG_FILE = "zyklus.pgdump"
ANCHOR_FILE = "audit-anker.txt"
EVIDENCE = "evidence"


@dataclass(frozen=True)
class Report:
    database: str  # the file in the backup folder
    evidence: int  # evidence files
    files: int  # files in the manifest


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()


def _url(app: App) -> URL:
    return make_url(app.settings.database_url)


def _is_sqlite(app: App) -> bool:
    return _url(app).get_backend_name() == "sqlite"


def _sqlite_path(app: App) -> Path:
    database = _url(app).database
    if not database or database == ":memory:":
        raise UsageError("Eine Datenbank im Arbeitsspeicher lässt sich nicht sichern.")
    return Path(database)


def _pg_tool(name: str) -> str:
    found = shutil.which(name)
    if found is None:
        raise UsageError(
            f"„{name}“ nicht gefunden: für PostgreSQL braucht zyklus {name} "
            "(Debian: apt-get install postgresql-client)."
        )
    return found


def _pg_args(app: App) -> tuple[list[str], dict[str, str]]:
    """libpq connection arguments; the password only in the environment (not in ``ps``)."""
    url = _url(app)
    env = dict(os.environ)
    if url.password:
        env["PGPASSWORD"] = str(url.password)
    plain = url.set(drivername="postgresql", password=None)
    return ["--dbname", plain.render_as_string(hide_password=False)], env


def _run(command: list[str], env: dict[str, str], what: str) -> None:
    done = subprocess.run(command, env=env, capture_output=True, text=True, check=False)
    if done.returncode != 0:
        raise UsageError(f"{what} fehlgeschlagen: {done.stderr.strip()[:500]}")


def backup(app: App, target: Path) -> Report:
    """Write a backup into ``target`` (a new or empty folder)."""
    if target.exists() and (not target.is_dir() or any(target.iterdir())):
        raise UsageError(f"{target}: das Ziel muss ein neuer oder leerer Ordner sein.")
    target.mkdir(parents=True, exist_ok=True)
    anchor = app.settings.anchor_path
    if anchor.is_file():  # first: its heads are all committed, so all in the copy below
        shutil.copyfile(anchor, target / ANCHOR_FILE)
    if _is_sqlite(app):
        database = SQLITE_FILE
        source = sqlite3.connect(f"file:{_sqlite_path(app)}?mode=ro", uri=True)
        copy = sqlite3.connect(target / database)
        try:
            source.backup(copy)  # one step: a consistent snapshot beside running writers
        finally:
            copy.close()
            source.close()
    else:
        database = PG_FILE
        args, env = _pg_args(app)
        command = [_pg_tool("pg_dump"), "--format=custom", "--no-owner", *args]
        _run([*command, "--file", str(target / database)], env, "pg_dump")
    evidence = 0
    store = app.settings.var_dir / EVIDENCE
    for path in sorted(store.glob("*/*")):
        if path.is_file() and not path.name.endswith(".partial"):
            destination = target / EVIDENCE / path.relative_to(store)
            destination.parent.mkdir(parents=True, exist_ok=True)
            shutil.copyfile(path, destination)
            evidence += 1
    files = write_manifest(target)
    return Report(database, evidence, files)


def write_manifest(folder: Path) -> int:
    files = sorted(p for p in folder.rglob("*") if p.is_file() and p.name != MANIFEST)
    lines = [f"{_sha256(p)}  {p.relative_to(folder).as_posix()}\n" for p in files]
    (folder / MANIFEST).write_text("".join(lines), encoding="utf-8")
    return len(files)


def check_manifest(folder: Path) -> list[str]:
    """The files of ``folder``'s manifest that are missing or changed (German lines)."""
    manifest = folder / MANIFEST
    if not manifest.is_file():
        return [f"{manifest}: fehlt – das ist keine Sicherung von „zyklus backup“"]
    problems = []
    for number, line in enumerate(manifest.read_text(encoding="utf-8").splitlines(), 1):
        digest, _, name = line.partition("  ")
        path = folder / name
        if not name or ".." in Path(name).parts or Path(name).is_absolute():
            problems.append(f"{MANIFEST} Zeile {number}: nicht lesbar")
        elif not path.is_file():
            problems.append(f"{name}: fehlt")
        elif _sha256(path) != digest:
            problems.append(f"{name}: Prüfsumme stimmt nicht (verändert oder beschädigt)")
    return problems


def _holds_data(app: App) -> bool:
    if _is_sqlite(app) and not _sqlite_path(app).exists():
        return False
    with app.engine.connect() as connection:
        if not inspect(connection).has_table("alembic_version"):
            return False
        return bool(connection.execute(text("SELECT count(*) FROM alembic_version")).scalar())


def restore(app: App, source: Path, overwrite: bool) -> Report:
    """Restore ``source`` (checked against its manifest) into the configured database."""
    if not source.is_dir():
        raise UsageError(f"{source}: kein Ordner mit einer Sicherung.")
    if problems := check_manifest(source):
        raise UsageError(*[f"Sicherung {source} unbrauchbar: {p}" for p in problems])
    sqlite_backup, pg_backup = source / SQLITE_FILE, source / PG_FILE
    if not (sqlite_backup.is_file() or pg_backup.is_file()):
        raise UsageError(f"{source}: die Sicherung enthält keine Datenbank.")
    if _is_sqlite(app) != sqlite_backup.is_file():
        kind = "SQLite" if sqlite_backup.is_file() else "PostgreSQL"
        raise UsageError(
            f"Die Sicherung enthält eine {kind}-Datenbank, die Konfiguration nennt eine andere "
            "Datenbankart; bitte [database] url passend setzen."
        )
    if _holds_data(app) and not overwrite:
        raise UsageError(
            "Die Datenbank enthält bereits Daten von zyklus; nichts geändert. Zum Überschreiben "
            "„zyklus restore QUELLE --ueberschreiben“ (vorher „zyklus run“ und „zyklus web“ "
            "anhalten)."
        )
    app.close()  # no pooled connection may see the database change under it
    if _is_sqlite(app):
        path = _sqlite_path(app)
        path.parent.mkdir(parents=True, exist_ok=True)
        backup_db = sqlite3.connect(f"file:{sqlite_backup}?mode=ro", uri=True)
        live = sqlite3.connect(path)
        try:
            backup_db.backup(live)
        finally:
            live.close()
            backup_db.close()
        database = SQLITE_FILE
    else:
        args, env = _pg_args(app)
        command = [_pg_tool("pg_restore"), "--clean", "--if-exists", "--no-owner"]
        _run([*command, "--single-transaction", *args, str(pg_backup)], env, "pg_restore")
        database = PG_FILE
    evidence = 0
    store = app.settings.var_dir / EVIDENCE
    for path in sorted((source / EVIDENCE).glob("*/*")):
        destination = store / path.relative_to(source / EVIDENCE)
        destination.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(path, destination)
        evidence += 1
    if (source / ANCHOR_FILE).is_file():
        anchor = app.settings.anchor_path
        anchor.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(source / ANCHOR_FILE, anchor)
    listed = (source / MANIFEST).read_text(encoding="utf-8").splitlines()
    return Report(database, evidence, len(listed))
