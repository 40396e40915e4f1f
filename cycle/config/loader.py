"""Load and validate ``config.toml`` (SPEC §3) into the frozen ``cycle.config.settings.Settings``.

``load`` reads the one file and nothing else from the outside world: the environment is passed in
(``$ZYKLUS_DATABASE_URL``, the SMTP password). A bad config raises ``ConfigError`` listing *every*
problem at once, one German line each, prefixed with its key path (``pairing[3].traeger: …``).
Relative paths resolve against the config file's folder (``Settings.base_dir``).
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from pathlib import Path

from cycle.config.audit import read_audit
from cycle.config.betrieb import read_betrieb, read_log
from cycle.config.master import read_pairings, read_stadtteile, read_traeger
from cycle.config.policy import read_policy, read_verwendungsnachweis
from cycle.config.portal import read_portal
from cycle.config.privacy import read_aufbewahrung, read_rechtliches
from cycle.config.schema import Problems, Table
from cycle.config.sections import read_calendar, read_koordinierungsstelle, read_mail
from cycle.config.settings import DatabaseSettings, Settings
from cycle.config.stages import read_stages
from cycle.config.toml_text import TomlError, parse_toml
from cycle.config.values import quote
from cycle.config.web import read_web

DATABASE_URL_ENV = "ZYKLUS_DATABASE_URL"
DATABASE_KEYS = (
    "url",
    "pool_size",
    "max_overflow",
    "application_name",
    "lock_timeout_s",
    "statement_timeout_s",
)
TOP_KEYS = (
    "database",
    "paths",
    "mail",
    "calendar",
    "koordinierungsstelle",
    "stage",
    "policy",
    "traeger",
    "stadtteil",
    "pairing",
    "verwendungsnachweis",
    "web",
    "portal",
    "betrieb",
    "audit",
    "log",
    "rechtliches",
    "aufbewahrung",
)
_URL = re.compile(r"^[A-Za-z][A-Za-z0-9+.-]*://")
_SQLITE = re.compile(r"^(?P<scheme>sqlite(?:\+\w+)?:///)(?P<rest>.*)$")


class ConfigError(Exception):
    """The config cannot be used; ``problems`` are German lines ``key.path: explanation``."""

    def __init__(self, problems: list[str]) -> None:
        super().__init__(problems)
        self.problems = list(problems)

    def __str__(self) -> str:
        return "\n".join(self.problems)


def load(path: Path, environ: Mapping[str, str]) -> Settings:
    """Read, validate and resolve one config file; raise ``ConfigError`` with all problems."""
    path = Path(path)
    problems = Problems()
    root = Table(_read(path), "", problems, TOP_KEYS)
    base_dir = path.resolve().parent
    var_text = root.table("paths", ("var",)).text("var")
    var_dir = base_dir / (var_text or "var")
    database_url = _database_url(root, environ, base_dir, var_dir)
    mail = read_mail(root, base_dir, var_dir)
    calendar = read_calendar(root)
    stelle = read_koordinierungsstelle(root)
    stages = read_stages(root, base_dir)
    policy = read_policy(root)
    traeger = read_traeger(root)
    stadtteile = read_stadtteile(root)
    pairings = read_pairings(root, traeger, stadtteile)
    rules = read_verwendungsnachweis(root)
    web = read_web(root)
    portal = read_portal(root)
    betrieb = read_betrieb(root)
    audit = read_audit(root, base_dir)
    log = read_log(root)
    database = _database(root)
    rechtliches = read_rechtliches(root, base_dir)
    aufbewahrung = read_aufbewahrung(root)
    if problems.lines or stelle is None:
        raise ConfigError(problems.lines)
    return Settings(
        path=path.resolve(),
        base_dir=base_dir,
        database_url=database_url,
        mail=mail,
        calendar=calendar,
        koordinierungsstelle=stelle,
        stages=stages,
        policy=policy,
        traeger=traeger,
        stadtteile=stadtteile,
        pairings=pairings,
        verwendungsnachweis=rules,
        var_dir=var_dir,
        web=web,
        portal=portal,
        betrieb=betrieb,
        audit=audit,
        log=log,
        database=database,
        rechtliches=rechtliches,
        aufbewahrung=aufbewahrung,
    )


def resolve_path(settings: Settings, p: Path | str) -> Path:
    """``p`` as written in the config: relative paths count from the config file's folder."""
    return settings.base_dir / p


def smtp_password(settings: Settings, environ: Mapping[str, str]) -> str | None:
    """The SMTP password from the variable named by ``mail.smtp.password_env`` (blank: ``None``)."""
    name = settings.mail.smtp.password_env
    return (environ.get(name) or None) if name else None


def _read(path: Path) -> object:
    try:
        text = path.read_bytes().decode("utf-8")
    except FileNotFoundError:
        raise ConfigError([f"{path}: Konfigurationsdatei nicht gefunden"]) from None
    except IsADirectoryError:
        raise ConfigError([f"{path}: ist ein Ordner, keine Konfigurationsdatei"]) from None
    except PermissionError:
        raise ConfigError([f"{path}: keine Leseberechtigung"]) from None
    except UnicodeDecodeError as exc:
        line = exc.object[: exc.start].count(b"\n") + 1
        raise ConfigError(
            [f"{path}: Zeile {line} ist nicht UTF-8-kodiert; bitte die Datei als UTF-8 speichern"]
        ) from None
    try:
        return parse_toml(text, str(path))
    except TomlError as exc:
        raise ConfigError([str(exc)]) from None


def _database(root: Table) -> DatabaseSettings:
    """``[database]``'s pool and PostgreSQL limits; absent keys keep the defaults."""
    table, d = root.table("database", DATABASE_KEYS), DatabaseSettings()
    name = table.text("application_name") or d.application_name
    if not name.isascii() or not name.isprintable() or len(name) > 63:
        table.problems.add(table.at("application_name"), "erlaubt: bis 63 ASCII-Zeichen")
        name = d.application_name
    return DatabaseSettings(
        pool_size=table.integer("pool_size", d.pool_size, minimum=1, maximum=200),
        max_overflow=table.integer("max_overflow", d.max_overflow, minimum=0, maximum=200),
        application_name=name,
        lock_timeout_s=table.integer("lock_timeout_s", d.lock_timeout_s, 1, 3600),
        statement_timeout_s=table.integer("statement_timeout_s", d.statement_timeout_s, 1, 86400),
    )


def _database_url(root: Table, environ: Mapping[str, str], base_dir: Path, var_dir: Path) -> str:
    url = root.table("database", DATABASE_KEYS).text("url")
    override = environ.get(DATABASE_URL_ENV, "").strip()
    if override:
        if not _URL.match(override):
            root.problems.add(f"${DATABASE_URL_ENV}", f"{quote(override)} ist keine Datenbank-URL")
        return override
    if url is None:
        return f"sqlite:///{var_dir / 'zyklus.db'}"
    if not _URL.match(url):
        hint = "z. B. „sqlite:///var/zyklus.db“ oder „postgresql+psycopg://…“"
        root.problems.add("database.url", f"{quote(url)} ist keine Datenbank-URL ({hint})")
        return url
    match = _SQLITE.match(url)
    rest = match["rest"] if match else ""
    if match and rest and not rest.startswith(("/", ":memory:", "file:", "?")):
        return f"{match['scheme']}{base_dir / rest}"
    return url
