"""The composition root: settings, engine, clock and calendar for one command.

Nothing here runs at import; ``bootstrap()`` builds the adapters a command needs.
"""

from __future__ import annotations

import gc
import getpass
import os
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import date, datetime
from functools import cached_property
from pathlib import Path
from typing import TYPE_CHECKING

from cycle.clock import Clock, FixedClock, SystemClock, local_date, parse_instant
from cycle.config.settings import Settings
from cycle.errors import UsageError
from workflows.calendar import WorkingCalendar

if TYPE_CHECKING:
    from sqlalchemy import Engine

    from cycle.service.bus import MessageBus
    from notifications.render import Renderer


MIN_KEY_LENGTH = 16


@dataclass
class App:
    settings: Settings
    clock: Clock
    environ: Mapping[str, str]

    @cached_property
    def engine(self) -> Engine:
        from cycle.persistence import audit
        from cycle.persistence.db import make_engine

        engine = _engine_or_usage_error(make_engine, self.settings.database_url)
        audit.use_key(engine, audit.ChainKey(self.settings.audit.key_env, self.audit_key))
        return engine

    @property
    def audit_key(self) -> bytes | None:
        """The HMAC key of the audit log from ``$<[audit] key_env>`` (``None``: plain SHA-256)."""
        text = self.environ.get(self.settings.audit.key_env, "")
        return text.strip().encode("utf-8") if text.strip() else None

    @cached_property
    def renderer(self) -> Renderer:
        from notifications.render import Renderer

        return Renderer(self.settings.mail.templates)

    @cached_property
    def bus(self) -> MessageBus:
        """The service layer's entry point: ``app.bus.handle(command, principal)``."""
        from cycle.service.bus import MessageBus

        return MessageBus(self)

    @cached_property
    def calendar(self) -> WorkingCalendar:
        return self.settings.calendar.working_calendar()

    def now(self) -> datetime:
        return self.clock.now()

    def today(self, now: datetime | None = None) -> date:
        return local_date(now or self.now(), self.calendar.timezone)

    def actor(self, by: str | None) -> str:
        if by:
            return by
        return self.environ.get("ZYKLUS_USER") or _os_user()

    def close(self) -> None:
        if "engine" in self.__dict__:
            self.engine.dispose()

    @property
    def var_dir(self) -> Path:
        return self.settings.var_dir


def _engine_or_usage_error(make: Callable[[str], Engine], url: str) -> Engine:
    """An unusable URL or a missing driver is bad config (exit 2), not an internal error."""
    from sqlalchemy.engine import make_url
    from sqlalchemy.exc import ArgumentError

    try:
        shown = make_url(url).render_as_string(hide_password=True)
    except ArgumentError:
        raise UsageError(f"Datenbank-URL ist nicht lesbar: {url[:80]!r}") from None
    try:
        return make(url)
    except ArgumentError as exc:  # includes NoSuchModuleError: an unknown dialect or driver
        raise UsageError(
            f"Datenbank-URL {shown} ist nicht nutzbar: unbekannte Datenbankart oder unbekannter "
            f"Treiber ({exc})."
        ) from None
    except ImportError as exc:
        extra = " (pip install -e '.[postgres]')" if shown.startswith("postgresql") else ""
        raise UsageError(
            f"Datenbank-URL {shown}: der Treiber „{exc.name or exc}“ ist nicht installiert{extra}."
        ) from None
    except (ValueError, TypeError, OSError) as exc:
        raise UsageError(f"Datenbank-URL {shown} ist nicht nutzbar: {exc}") from None


def _os_user() -> str:
    try:
        return getpass.getuser()
    except (KeyError, OSError):
        return "unbekannt"


def config_path(option: str | None, environ: Mapping[str, str]) -> Path:
    return Path(option or environ.get("ZYKLUS_CONFIG") or "config.toml")


def make_clock(option: str | None, environ: Mapping[str, str]) -> Clock:
    text = option or environ.get("ZYKLUS_NOW")
    if not text:
        return SystemClock()
    try:
        return FixedClock(parse_instant(text))
    except ValueError as exc:
        raise UsageError(f"--now: {exc}") from None


@contextmanager
def collector_paused() -> Iterator[None]:
    """No cyclic garbage collection inside: for building large data that all lives on.

    Each full collection walks every object made so far and frees none of them: parsing a config
    of 10,000 pairings or reading their overview ran ~0.3 s of such passes.
    """
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            gc.enable()


def bootstrap(config: str | None, now: str | None, environ: Mapping[str, str] | None = None) -> App:
    from cycle.config.loader import ConfigError, load

    env = dict(os.environ if environ is None else environ)
    clock = make_clock(now, env)
    path = config_path(config, env)
    if not path.is_file():
        raise UsageError(f"Konfiguration nicht gefunden: {path} (--config oder $ZYKLUS_CONFIG)")
    try:
        with collector_paused():
            settings = load(path, env)
    except ConfigError as exc:
        raise UsageError(
            *[p if p.startswith(str(path)) else f"{path}: {p}" for p in exc.problems]
        ) from None
    key = env.get(settings.audit.key_env, "")
    if key.strip() and len(key.strip()) < MIN_KEY_LENGTH:
        raise UsageError(
            f"${settings.audit.key_env}: der Protokollschlüssel ist zu kurz "
            f"(mindestens {MIN_KEY_LENGTH} Zeichen, z. B. aus „openssl rand -hex 32“)."
        )
    # The settings live as long as the process: keep the collector from re-scanning them on
    # every full collection (a tick at 100,000 pairings spent a fifth of its time there).
    gc.freeze()
    return App(settings=settings, clock=clock, environ=env)
