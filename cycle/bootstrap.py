"""The composition root: settings, clock and environment, and every adapter built from them.

``bootstrap()`` reads the config and makes an ``App``; the App builds the engine (with the audit
key bound), the renderer, the mail and service contexts, the delivery (transport factory, clock,
anchor publisher) and the bus on first use, and injects each where it is needed. Nothing here
runs at import. Only the entry points (``cycle/cli``, ``cycle/web``, ``cycle/portal``,
``cycle/runtime``, ``cycle/simulation``, ``bench``, ``soak``) import this module; the service
layer and everything below it are handed what they need (an import-linter contract).
"""

from __future__ import annotations

import gc
import getpass
import os
import threading
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import date, datetime
from functools import cached_property
from pathlib import Path
from typing import TYPE_CHECKING

from cycle.clock import Clock, FixedClock, SystemClock, local_date, parse_instant
from cycle.config.settings import Settings
from cycle.errors import UsageError
from cycle.views.context import ViewContext
from workflows.calendar import WorkingCalendar

if TYPE_CHECKING:
    from sqlalchemy import Engine

    from cycle.mail.context import MailContext
    from cycle.mail.deliver import Delivery
    from cycle.service.bus import MessageBus
    from cycle.service.context import ServiceContext
    from notifications.render import Renderer
    from notifications.transport_base import Transport


MIN_KEY_LENGTH = 16


@dataclass
class App:
    """What an entry point holds: the settings, the clock and the environment, and the adapters
    built from them on first use — the engine (its audit key bound), the renderer, the contexts
    the service layer and the mail pipeline are given, the delivery and the bus."""

    settings: Settings
    clock: Clock
    environ: Mapping[str, str]
    # The stored master-data version ``settings`` carries (``refresh_master_data``).
    master_version: str | None = None
    _refreshing: threading.Lock = field(default_factory=threading.Lock, repr=False)

    @cached_property
    def engine(self) -> Engine:
        from cycle.persistence import audit
        from cycle.persistence.db import Pool, make_engine

        key = audit.ChainKey(self.settings.audit.key_env, self.audit_key)
        d = self.settings.database
        pool = Pool(
            d.pool_size, d.max_overflow, d.application_name, d.lock_timeout_s, d.statement_timeout_s
        )
        return _engine_or_usage_error(
            lambda url: make_engine(url, audit.engine_options(key), pool),
            self.settings.database_url,
        )

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
    def calendar(self) -> WorkingCalendar:
        return self.settings.calendar.working_calendar()

    @cached_property
    def mail(self) -> MailContext:
        from cycle.mail.context import MailContext

        return MailContext(self.settings, self.calendar, self.renderer)

    @cached_property
    def context(self) -> ServiceContext:
        from cycle.service.context import ServiceContext

        return ServiceContext(self.engine, self.clock, self.mail)

    @cached_property
    def delivery(self) -> Delivery:
        from cycle.mail.deliver import Delivery

        return Delivery(
            self.engine, self.mail, self.clock.now, self.make_transport, self.publish_anchor
        )

    @cached_property
    def bus(self) -> MessageBus:
        """The service layer's entry point: ``app.bus.handle(command, principal)``."""
        from cycle.service.bus import MessageBus

        return MessageBus(self.context, self.delivery)

    def refresh_master_data(self) -> bool:
        """Carry the database's master data (SPEC §16) in ``settings``; ``True`` when it changed.

        One row read (``Meta[masterdata_version]``) when nothing changed: the web application
        asks before every request, so a change by another process (another web worker, the CLI)
        shows at the next request. On a change the settings are replaced and everything built
        from them (mail context, service context, delivery, bus) is built again on next use; a
        request that already holds the old ones finishes with them. Before the first ``init``
        (no stored master data) the config's stays. A new process loads the database's once
        (about 0.5 s at 10,000 pairings) — unless ``init`` found this very config file equal to
        the stored version (``masterdata_store.seed_matches``).
        """
        from cycle.persistence import masterdata_version as current

        with self.engine.connect() as connection:  # one transaction: version and rows agree
            stored = current.version(connection)
            if stored is None or stored == self.master_version:
                return False
            with self._refreshing:
                if stored == self.master_version:
                    return False
                if self.master_version is None and current.seed_matches(
                    connection, self.config_digest, stored
                ):
                    self.master_version = stored  # init found the file equal to the database
                    return False
                from cycle.persistence import masterdata_store as store

                self.settings = self.settings.with_master(store.load(connection))
                for name in ("mail", "context", "delivery", "bus"):
                    self.__dict__.pop(name, None)
                self.master_version = stored
                return True

    @cached_property
    def config_digest(self) -> str:
        """SHA-256 of the config file the settings were read from."""
        import hashlib

        try:
            return hashlib.sha256(self.settings.path.read_bytes()).hexdigest()
        except OSError:
            return ""

    def make_transport(self) -> Transport:
        """A new transport of ``[mail] transport``; the SMTP password from the environment."""
        mail = self.settings.mail
        if mail.transport == "maildir":
            from notifications.transports import MaildirTransport

            return MaildirTransport(mail.maildir)
        from notifications.smtp import SmtpTransport

        smtp = mail.smtp
        password = self.environ.get(smtp.password_env) if smtp.password_env else None
        return SmtpTransport(
            smtp.host,
            smtp.port,
            smtp.security,  # type: ignore[arg-type]
            smtp.username,
            password,
            smtp.timeout_seconds,
            data_timeout=smtp.data_timeout_seconds,
        )

    def publish_anchor(self, now: datetime) -> None:
        """Append the committed audit head to the anchor file (SPEC §9)."""
        from cycle.persistence.anchors import publish_or_refuse

        publish_or_refuse(self.engine, self.settings.anchor_path, now)

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

    def view_context(self) -> ViewContext:
        """What the read models in ``cycle/views`` read from, with ``now`` read once here."""
        return ViewContext(self.engine, self.settings, self.calendar, self.now())


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
    return compose(settings, clock, env)


def compose(settings: Settings, clock: Clock, environ: Mapping[str, str]) -> App:
    """The application for settings already loaded: ``bootstrap`` after reading the config, and
    ``simulate`` for its throwaway copy (another database and Maildir, a stepping clock)."""
    return App(settings=settings, clock=clock, environ=environ)
