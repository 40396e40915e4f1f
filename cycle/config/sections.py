"""The settings sections of ``config.toml`` for ``cycle.config.loader``: ``[mail]``, ``[calendar]``
and ``[koordinierungsstelle]``.

Each ``read_*`` opens its table on the root (reporting unknown keys) and returns the settings,
falling back to the defaults where a value is missing or wrong.
"""

from __future__ import annotations

import re
from functools import lru_cache
from importlib.util import find_spec
from pathlib import Path
from zoneinfo import available_timezones

from cycle.config.schema import Table
from cycle.config.settings import CalendarSettings, Koordinierungsstelle, MailSettings, SmtpSettings
from cycle.config.values import choices, parse_clock, quote, suggestion

_ENV_NAME = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")
MAIL_KEYS = (
    "transport",
    "maildir",
    "from",
    "smtp",
    "templates",
    "max_attempts",
    "retry_base_seconds",
    "ungewiss_wartezeit_minuten",
    "zustellstapel",
)
SMTP_KEYS = (
    "host",
    "port",
    "security",
    "username",
    "password_env",
    "timeout_seconds",
    "data_timeout_seconds",
)


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


def read_mail(root: Table, base_dir: Path, var_dir: Path) -> MailSettings:
    """``[mail]`` with ``[mail.smtp]``; relative folders count from ``base_dir``."""
    table = root.table("mail", MAIL_KEYS)
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
            data_timeout_seconds=smtp.seconds(
                "data_timeout_seconds", smtp_defaults.data_timeout_seconds
            ),
        ),
        templates=base_dir / templates if templates else None,
        max_attempts=table.integer("max_attempts", defaults.max_attempts, minimum=1),
        retry_base_seconds=table.integer(
            "retry_base_seconds", defaults.retry_base_seconds, 1, maximum=86400
        ),
        ungewiss_wartezeit_minuten=table.integer(
            "ungewiss_wartezeit_minuten", defaults.ungewiss_wartezeit_minuten, 1, maximum=10080
        ),
        zustellstapel=table.integer("zustellstapel", defaults.zustellstapel, 1, maximum=1000),
    )


CALENDAR_KEYS = ("timezone", "holidays", "send_time", "shift_due_to_working_day")


@lru_cache(maxsize=1)
def _timezones() -> frozenset[str]:
    return frozenset(available_timezones())


@lru_cache(maxsize=1)
def _tzdata_zones() -> frozenset[str]:
    """The zones the ``tzdata`` package lists in its file ``zones`` (empty without it)."""
    spec = find_spec("tzdata")
    folders = spec.submodule_search_locations if spec else None
    if not folders:
        return frozenset()
    try:
        text = (Path(next(iter(folders))) / "zones").read_text(encoding="utf-8")
    except OSError:
        return frozenset()
    return frozenset(line.strip() for line in text.splitlines() if line.strip())


def _is_timezone(name: str) -> bool:
    """``name in available_timezones()``. A zone in tzdata's list is in it (that function
    starts from the same list and drops only ``posixrules``); anything else gets the full
    answer, which opens every file under the system's zoneinfo folders (~35 ms)."""
    return (name != "posixrules" and name in _tzdata_zones()) or name in _timezones()


def read_calendar(root: Table) -> CalendarSettings:
    """``[calendar]`` with its ``holidays`` sub-table."""
    table = root.table("calendar", CALENDAR_KEYS)
    defaults = CalendarSettings()
    timezone = table.text("timezone") or defaults.timezone
    if not _is_timezone(timezone):
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
    if (country, subdivision) == (defaults.country, defaults.subdivision):
        # The defaults are valid (every command runs with them when the table is missing);
        # checking them would import ``holidays`` and every country it knows (~0.15 s).
        return country, subdivision
    import holidays

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


STELLE_KEYS = (
    *("name", "email", "stabsstellenleitung", "stabsstellenleitung_name", "ablage", "ort"),
    *("anschrift", "telefon"),
)


def read_koordinierungsstelle(root: Table) -> Koordinierungsstelle | None:
    """``[koordinierungsstelle]``; ``None`` when a required key is missing or wrong."""
    table = root.table("koordinierungsstelle", STELLE_KEYS)
    defaults = Koordinierungsstelle("", "", "")
    name, email = table.text("name", required=True), table.email("email", required=True)
    leitung = table.email("stabsstellenleitung", required=True)
    leitung_name = table.text("stabsstellenleitung_name") or defaults.stabsstellenleitung_name
    ablage, ort = table.email("ablage"), table.text("ort") or defaults.ort
    anschrift = _address_lines(table.text("anschrift") or "")
    if name is None or email is None or leitung is None:
        return None
    return Koordinierungsstelle(
        name, email, leitung, leitung_name, ablage, ort, anschrift, table.text("telefon")
    )


def _address_lines(text: str) -> tuple[str, ...]:
    """Lines of an address: one per line of a multi-line string, else separated by commas."""
    parts = text.splitlines() if "\n" in text.strip() else text.split(",")
    return tuple(line.strip() for line in parts if line.strip())
