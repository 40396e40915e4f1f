"""Load and validate ``config.toml`` (SPEC §3) into the frozen ``cycle.settings.Settings``.

``load`` reads the one file and nothing else from the outside world: the environment is passed in
(``$ZYKLUS_DATABASE_URL``, the SMTP password). A bad config raises ``ConfigError`` listing *every*
problem at once, one German line each, prefixed with its key path (``pairing[3].traeger: …``).
Relative paths resolve against the config file's folder (``Settings.base_dir``).
"""

from __future__ import annotations

import re
import tomllib
from collections.abc import Mapping
from decimal import Decimal
from functools import lru_cache
from pathlib import Path
from zoneinfo import available_timezones

import holidays

from cycle.config_schema import (
    Problems,
    Table,
    choices,
    parse_clock,
    parse_money,
    quote,
    read_pairings,
    read_stadtteile,
    read_stages,
    read_traeger,
    suggestion,
)
from cycle.settings import (
    CalendarSettings,
    Koordinierungsstelle,
    MailSettings,
    Policy,
    Settings,
    SmtpSettings,
    VerwendungsnachweisRules,
)

DATABASE_URL_ENV = "ZYKLUS_DATABASE_URL"
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
)
WEEKDAYS = ("MON", "TUE", "WED", "THU", "FRI", "SAT", "SUN")
_URL = re.compile(r"^[A-Za-z][A-Za-z0-9+.-]*://")
_SQLITE = re.compile(r"^(?P<scheme>sqlite(?:\+\w+)?:///)(?P<rest>.*)$")
_ENV_NAME = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")
_TOML_POSITION = re.compile(
    r"^(?P<msg>.*) \(at (?:line (?P<line>\d+), column (?P<col>\d+)|end of document)\)$"
)
_TOML_MESSAGES = {  # tomllib's messages (prefixes) in German
    "Invalid value": "ungültiger Wert (Texte brauchen Anführungszeichen)",
    "Expected '=' after a key in a key/value pair": "nach dem Schlüssel fehlt „=“",
    "Expected newline or end of document after a statement": "nach dem Wert folgt noch etwas "
    "in derselben Zeile (ungültiges Datum? fehlende Anführungszeichen?)",
    "Cannot overwrite a value": "Schlüssel ist doppelt",
    "Cannot declare": "Tabelle ist doppelt",
    "Duplicate inline table key": "Schlüssel ist doppelt",
    "Cannot redefine namespace": "Tabelle ist bereits anders definiert",
    "Cannot mutate immutable namespace": "Tabelle ist bereits anders definiert",
    "Invalid statement": "ungültige Anweisung",
    "Unclosed array": "Liste nicht geschlossen (fehlt „]“?)",
    "Unclosed inline table": "Tabelle nicht geschlossen (fehlt „}“?)",
    "Unterminated string": "Text nicht abgeschlossen (fehlt ein Anführungszeichen?)",
    "Illegal character": "unzulässiges Zeichen im Text (fehlt ein schließendes Anführungszeichen?)",
    "Found invalid character": "unzulässiges Zeichen",
    "Invalid date or datetime": "ungültiges Datum",
    "Invalid initial character for a key part": "ungültiges Zeichen am Anfang eines Schlüssels",
    "Expected ']' at the end of a table declaration": "nach dem Tabellennamen fehlt „]“",
    "Expected ']]' at the end of an array declaration": "nach dem Tabellennamen fehlt „]]“",
}


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
    mail = _mail(root.table("mail", MAIL_KEYS), base_dir, var_dir)
    calendar = _calendar(root.table("calendar", CALENDAR_KEYS))
    stelle = _koordinierungsstelle(root.table("koordinierungsstelle", STELLE_KEYS))
    stages = read_stages(root, base_dir)
    policy = _policy(root.table("policy", POLICY_KEYS))
    traeger = read_traeger(root)
    stadtteile = read_stadtteile(root)
    pairings = read_pairings(root)
    rules = _verwendungsnachweis(root.table("verwendungsnachweis", VN_KEYS))
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
        return tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError([_syntax_error(path, str(exc))]) from None


def _syntax_error(path: Path, message: str) -> str:
    match = _TOML_POSITION.match(message)
    where = f"in Zeile {match['line']}, Spalte {match['col']}" if match and match["line"] else ""
    raw = match["msg"] if match else message
    detail = next((german for key, german in _TOML_MESSAGES.items() if raw.startswith(key)), "")
    return f"{path}: TOML-Syntaxfehler {where or 'am Dateiende'}" + (
        f": {detail}" if detail else ""
    )


def _database_url(root: Table, environ: Mapping[str, str], base_dir: Path, var_dir: Path) -> str:
    url = root.table("database", ("url",)).text("url")
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


MAIL_KEYS = (
    "transport",
    "maildir",
    "from",
    "smtp",
    "templates",
    "max_attempts",
    "retry_base_seconds",
)
SMTP_KEYS = ("host", "port", "security", "username", "password_env", "timeout_seconds")


def _choice(table: Table, key: str, allowed: tuple[str, ...], default: str) -> str:
    text = table.text(key)
    if text is None:
        return default
    if text not in allowed:
        table.problems.add(
            table.at(key), f"{quote(text)} ist nicht erlaubt {choices(text, allowed)}"
        )
        return default
    return text


def _mail(table: Table, base_dir: Path, var_dir: Path) -> MailSettings:
    defaults, smtp_defaults = MailSettings(), SmtpSettings()
    smtp = table.table("smtp", SMTP_KEYS)
    password_env = smtp.text("password_env")
    if password_env is not None and not _ENV_NAME.match(password_env):
        smtp.problems.add(
            smtp.at("password_env"),
            f"{quote(password_env)} ist kein Variablenname "
            "(das Passwort selbst gehört nicht in die Datei)",
        )
        password_env = None
    templates = table.text("templates")
    if templates is not None and not (base_dir / templates).is_dir():
        table.problems.add(
            table.at("templates"),
            f"Ordner {quote(templates)} nicht gefunden (gesucht: {base_dir / templates})",
        )
    maildir = table.text("maildir")
    return MailSettings(
        transport=_choice(table, "transport", ("maildir", "smtp"), defaults.transport),
        maildir=base_dir / maildir if maildir else var_dir / "mail",
        sender=table.email("from", mailbox=True) or defaults.sender,
        smtp=SmtpSettings(
            host=smtp.text("host") or smtp_defaults.host,
            port=smtp.integer("port", smtp_defaults.port, minimum=1, maximum=65535),
            security=_choice(smtp, "security", ("none", "starttls", "tls"), smtp_defaults.security),
            username=smtp.text("username"),
            password_env=password_env,
            timeout_seconds=smtp.seconds("timeout_seconds", smtp_defaults.timeout_seconds),
        ),
        templates=base_dir / templates if templates else None,
        max_attempts=table.integer("max_attempts", defaults.max_attempts, minimum=1),
        retry_base_seconds=table.integer("retry_base_seconds", defaults.retry_base_seconds, 1),
    )


CALENDAR_KEYS = ("timezone", "holidays", "send_time", "shift_due_to_working_day")


@lru_cache(maxsize=1)
def _timezones() -> frozenset[str]:
    return frozenset(available_timezones())


def _calendar(table: Table) -> CalendarSettings:
    defaults = CalendarSettings()
    timezone = table.text("timezone") or defaults.timezone
    if timezone not in _timezones():
        hint = suggestion(timezone, _timezones()) or " (z. B. „Europe/Berlin“)"
        table.problems.add(table.at("timezone"), f"unbekannte Zeitzone {quote(timezone)}{hint}")
        timezone = defaults.timezone
    send_time = parse_clock(table.raw.get("send_time", defaults.send_time))
    if send_time is None:
        table.problems.add(
            table.at("send_time"),
            f"{quote(table.raw['send_time'])} ist keine Uhrzeit der Form „HH:MM“ (z. B. „08:00“)",
        )
    elif send_time.hour == 2:
        table.problems.add(
            table.at("send_time"),
            "Uhrzeiten zwischen 02:00 und 03:00 fallen bei "
            "der Zeitumstellung aus oder doppelt; bitte eine andere wählen",
        )
    country, subdivision = _holidays(table)
    return CalendarSettings(
        timezone=timezone,
        country=country,
        subdivision=subdivision,
        send_time=send_time or defaults.send_time,
        shift_due_to_working_day=table.boolean(
            "shift_due_to_working_day", defaults.shift_due_to_working_day
        ),
    )


def _holidays(calendar: Table) -> tuple[str, str | None]:
    defaults = CalendarSettings()
    if not calendar.has("holidays"):
        return defaults.country, defaults.subdivision
    table = calendar.table("holidays", ("country", "subdivision"))
    country = table.text("country", required=True) or defaults.country
    subdivision = table.text("subdivision")
    supported = holidays.list_supported_countries()
    if country not in supported:
        table.problems.add(
            table.at("country"),
            f"unbekanntes Land {quote(country)} für die "
            "Feiertage (Ländercode nach ISO 3166, z. B. „DE“)",
        )
        return defaults.country, defaults.subdivision
    if subdivision is not None and subdivision not in supported[country]:
        known = ", ".join(supported[country]) or "keine"
        table.problems.add(
            table.at("subdivision"),
            f"unbekanntes Bundesland/Region "
            f"{quote(subdivision)} für {quote(country)} (bekannt: {known})",
        )
    return country, subdivision


STELLE_KEYS = ("name", "email", "stabsstellenleitung", "stabsstellenleitung_name", "ablage", "ort")


def _koordinierungsstelle(table: Table) -> Koordinierungsstelle | None:
    defaults = Koordinierungsstelle("", "", "")
    name, email = table.text("name", required=True), table.email("email", required=True)
    leitung = table.email("stabsstellenleitung", required=True)
    leitung_name = table.text("stabsstellenleitung_name") or defaults.stabsstellenleitung_name
    ablage, ort = table.email("ablage"), table.text("ort") or defaults.ort
    if name is None or email is None or leitung is None:
        return None
    return Koordinierungsstelle(name, email, leitung, leitung_name, ablage, ort)


POLICY_KEYS = ("remind_before_days", "escalate_after_days", "meeting_reminder_days", "digest")


def _policy(table: Table) -> Policy:
    defaults = Policy()
    digest: int | None = defaults.digest
    text = table.text("digest")
    if text is not None:
        allowed = (*WEEKDAYS, "off")
        if text.upper() in WEEKDAYS:
            digest = WEEKDAYS.index(text.upper())
        elif text.lower() == "off":
            digest = None
        else:
            table.problems.add(
                table.at("digest"),
                f"{quote(text)} ist nicht erlaubt {choices(text.upper(), allowed)}",
            )
    return Policy(
        remind_before_days=_or(table.day_list("remind_before_days"), defaults.remind_before_days),
        escalate_after_days=_or(
            table.day_list("escalate_after_days"), defaults.escalate_after_days
        ),
        meeting_reminder_days=_or(
            table.day_list("meeting_reminder_days"), defaults.meeting_reminder_days
        ),
        digest=digest,
    )


def _or(value: tuple[int, ...] | None, default: tuple[int, ...]) -> tuple[int, ...]:
    return default if value is None else value


VN_KEYS = (
    "verwaltung_max_anteil",
    "sachkosten_max",
    "gemeinwesenarbeit_max",
    "max_angebote",
    "aufbewahrung_jahre",
)


def _verwendungsnachweis(table: Table) -> VerwendungsnachweisRules:
    defaults = VerwendungsnachweisRules()
    return VerwendungsnachweisRules(
        verwaltung_max_anteil=_decimal(
            table, "verwaltung_max_anteil", defaults.verwaltung_max_anteil, share=True
        ),
        sachkosten_max=_decimal(table, "sachkosten_max", defaults.sachkosten_max),
        gemeinwesenarbeit_max=_decimal(
            table, "gemeinwesenarbeit_max", defaults.gemeinwesenarbeit_max
        ),
        max_angebote=table.integer("max_angebote", defaults.max_angebote, minimum=1),
        aufbewahrung_jahre=table.integer("aufbewahrung_jahre", defaults.aufbewahrung_jahre, 10),
    )


def _decimal(table: Table, key: str, default: Decimal, share: bool = False) -> Decimal:
    if not table.has(key):
        return default
    raw = table.raw[key]
    amount = parse_money(raw)
    example = "„0.13“" if share else "„7000.00“"
    if amount is None:
        shown = quote(raw) if isinstance(raw, str) else "eine Kommazahl ohne Anführungszeichen"
        table.problems.add(
            table.at(key),
            f"erwartet eine Dezimalzahl als Text mit Punkt, z. B. {example}, gefunden: {shown}",
        )
        return default
    if amount < 0 or (share and amount > 1):
        bounds = "zwischen 0 und 1 (Anteil, 0.13 = 13 %)" if share else "mindestens 0"
        table.problems.add(table.at(key), f"{amount} ist nicht erlaubt (muss {bounds} sein)")
        return default
    return amount
