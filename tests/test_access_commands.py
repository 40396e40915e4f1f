"""Getting in and out as commands on the bus (``cycle/service/access.py``), on a real SQLite file.

Logins and portal-link requests come from an anonymous principal, leaving the portal and making
a calendar feed from the contact's; each is one unit of work through ``app.bus.handle``.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import func
from sqlmodel import Session, col, select

from cycle.bootstrap import App, bootstrap
from cycle.errors import Forbidden, UsageError
from cycle.mail import links
from cycle.persistence import personal, portal_store
from cycle.persistence.tables import (
    AuditEntry,
    LoginAttempt,
    OutboxMessage,
    PortalRequest,
    PortalToken,
    WebSession,
)
from cycle.persistence.uow import reading, transaction
from cycle.service import accounts, registry
from cycle.service import commands as c
from cycle.service.access import FeedMade, LoggedIn, PortalOpened, expect
from cycle.service.principal import Principal, Role
from tests.conftest import Run
from tests.portal.conftest import BOCKELSBERG, KALTENMOOR

NOW = "2026-12-03T08:00"
PASSWORD = "richtig-und-lang-genug"
WEB = Principal.anonymous("Web")
PORTAL = Principal.anonymous("Portal")
CONTACT = Principal.contact(KALTENMOOR, frozenset({"kaltenmoor"}))
OTHER = Principal.contact(BOCKELSBERG, frozenset({"bockelsberg"}))


@pytest.fixture
def app(workspace: Path, zyklus: Run) -> Iterator[App]:
    assert zyklus("init", now=NOW).code == 0
    made = bootstrap(str(workspace / "config.toml"), NOW, {})
    made.bus.handle(
        c.AddUser("k.sommer", "koordinierungsstelle", "Katrin Sommer", PASSWORD),
        Principal.operator("admin"),
    )
    yield made
    made.close()


def audit_rows(app: App) -> list[tuple[str, str, dict[str, object]]]:
    with reading(app.engine) as session:
        rows = personal.resolved(
            session, session.exec(select(AuditEntry).order_by(col(AuditEntry.id)))
        )
        return [(r.actor, r.action, json.loads(r.payload)) for r in rows]


def count(app: App, table: type) -> int:
    with reading(app.engine) as session:
        return int(session.exec(select(func.count()).select_from(table)).one())


def mint(app: App, email: str, purpose: str = "login") -> str:
    with transaction(app.engine) as session:
        token = portal_store.mint(session, app.settings, email, purpose, app.now())
    assert token is not None
    return token


def open_sessions(session: Session) -> int:
    return len(list(session.exec(select(WebSession))))


# --- who may give which command ----------------------------------------------------------------


def test_an_anonymous_principal_may_only_log_in_and_ask_for_or_use_a_link():
    allowed = {e.command for e in registry.EVENTS if Role.ANONYM in e.roles}
    sso = {c.BeginSso, c.TakeSso, c.SsoLogIn, c.RefuseSso}  # the provider's answers (SPEC §17)
    assert allowed == {c.LogIn, c.RequestPortalLink, c.UsePortalLink, c.SetPasswordByLink, *sso}
    assert not WEB.sees("kaltenmoor")
    with pytest.raises(ValueError):
        Principal("anonym", Role.ANONYM)  # every pairing: never


def test_an_anonymous_principal_is_refused_every_other_command(app: App):
    before = audit_rows(app)
    for command in (
        c.LogOut("x"),
        c.NewCalendarFeed(),
        c.LeavePortal("x"),
        c.RevokePortal(KALTENMOOR),
        c.AddUser("mallory", "koordinierungsstelle", "Mallory", PASSWORD),
        c.Tick(deliver=False),
    ):
        with pytest.raises(Forbidden, match="nicht angemeldete Person"):
            app.bus.handle(command, PORTAL)
    assert count(app, WebSession) == 0
    assert audit_rows(app) == before


def test_staff_cannot_open_sessions_for_others_or_make_a_contacts_feed(app: App):
    for command in (c.LogIn("k.sommer", PASSWORD, "127.0.0.1"), c.UsePortalLink("x")):
        with pytest.raises(Forbidden):
            app.bus.handle(command, Principal.operator("admin"))
    with pytest.raises(Forbidden):
        app.bus.handle(c.NewCalendarFeed(), Principal.operator("admin"))


def test_anonym_is_no_role_of_a_user_account(app: App):
    with pytest.raises(UsageError) as refused:
        app.bus.handle(
            c.AddUser("mallory", "anonym", "Mallory", PASSWORD), Principal.operator("admin")
        )
    assert refused.value.problems[0].field == "role"


# --- staff logins --------------------------------------------------------------------------------


def test_a_login_returns_its_token_to_its_owner_and_stores_only_the_hash(app: App):
    command = c.LogIn("k.sommer", PASSWORD, "127.0.0.1")
    done = expect(app.bus.handle(command, WEB), LoggedIn)
    assert done.token and done.user is not None and done.user.login == "k.sommer"
    assert done.token not in repr(done) and PASSWORD not in repr(command)
    with reading(app.engine) as session:
        ids = [row.id for row in session.exec(select(WebSession))]
        assert ids == [hashlib.sha256(done.token.encode()).hexdigest()]
        found = accounts.session_user(session, done.token, app.now())
    assert found == done.user
    assert audit_rows(app)[-1][1] == "benutzer_angelegt"  # a login is not audited (as before)


def test_a_failed_login_opens_nothing_but_is_counted_and_the_limit_holds(app: App):
    for n in range(accounts.MAX_FAILURES_PER_LOGIN):
        done = expect(app.bus.handle(c.LogIn("k.sommer", "falsch", f"10.0.0.{n}"), WEB), LoggedIn)
        assert done.token is None and done.user is None
    assert count(app, LoginAttempt) == 2 * accounts.MAX_FAILURES_PER_LOGIN
    right = expect(app.bus.handle(c.LogIn("k.sommer", PASSWORD, "10.0.1.1"), WEB), LoggedIn)
    assert right.token is None  # limited: the right password does not help either
    assert count(app, WebSession) == 0


def test_logging_out_ends_the_session(app: App):
    done = expect(app.bus.handle(c.LogIn("k.sommer", PASSWORD, "127.0.0.1"), WEB), LoggedIn)
    assert done.token is not None and done.user is not None
    app.bus.handle(c.LogOut(done.token), done.user.principal)
    with reading(app.engine) as session:
        assert accounts.session_user(session, done.token, app.now()) is None
        assert open_sessions(session) == 0


# --- the portal ----------------------------------------------------------------------------------


def test_a_link_is_used_once_and_the_login_is_audited_as_the_contact(app: App):
    token = mint(app, KALTENMOOR)
    done = expect(app.bus.handle(c.UsePortalLink(token), PORTAL), PortalOpened)
    assert done.token and done.access == portal_store.Access(KALTENMOOR, frozenset({"kaltenmoor"}))
    assert done.token not in repr(done) and token not in repr(c.UsePortalLink(token))
    again = expect(app.bus.handle(c.UsePortalLink(token), PORTAL), PortalOpened)
    assert again.token is None and again.access is None
    logins = [row for row in audit_rows(app) if row[1] == "portal_anmeldung"]
    assert logins == [
        (f"{KALTENMOOR} via Portal", "portal_anmeldung", {"partnerschaften": ["kaltenmoor"]})
    ]


def test_a_contact_leaves_only_her_own_session(app: App):
    opened = expect(app.bus.handle(c.UsePortalLink(mint(app, KALTENMOOR)), PORTAL), PortalOpened)
    assert opened.token is not None
    app.bus.handle(c.LeavePortal(opened.token), OTHER)  # another contact's principal: nothing
    with reading(app.engine) as session:
        assert portal_store.session_access(session, app.settings, opened.token, app.now())
    app.bus.handle(c.LeavePortal(opened.token), CONTACT)
    with reading(app.engine) as session:
        assert portal_store.session_access(session, app.settings, opened.token, app.now()) is None
    leaving = [row[:2] for row in audit_rows(app) if row[1] == "portal_abmeldung"]
    assert leaving == [(f"{KALTENMOOR} via Portal", "portal_abmeldung")]


def test_a_new_feed_ends_the_old_one_and_is_audited(app: App):
    first = expect(app.bus.handle(c.NewCalendarFeed(), CONTACT), FeedMade)
    second = expect(app.bus.handle(c.NewCalendarFeed(), CONTACT), FeedMade)
    assert first.url and second.url and first.url != second.url
    assert first.url.startswith(f"{app.settings.web.base_url}/portal/kalender/")
    old, new = (u.rsplit("/", 1)[1].removesuffix(".ics") for u in (first.url, second.url))
    with reading(app.engine) as session:
        assert portal_store.feed_access(session, app.settings, old, app.now()) is None
        assert portal_store.feed_access(session, app.settings, new, app.now()) is not None
        assert new not in {t.token_hash for t in session.exec(select(PortalToken))}
    actions = [row[:2] for row in audit_rows(app) if row[1] == "portal_kalender_neu"]
    assert actions == [(f"{KALTENMOOR} via Portal", "portal_kalender_neu")] * 2


def outbox(app: App) -> list[OutboxMessage]:
    with reading(app.engine) as session:
        return list(
            session.exec(select(OutboxMessage).where(col(OutboxMessage.kind) == "portal-link"))
        )


def test_a_link_request_mails_a_known_contact_only_and_answers_the_same(app: App):
    known = app.bus.handle(c.RequestPortalLink(KALTENMOOR.upper(), "10.0.0.1"), PORTAL)
    unknown = app.bus.handle(c.RequestPortalLink("niemand@example.org", "10.0.0.2"), PORTAL)
    assert known == unknown
    mails = outbox(app)
    assert len(mails) == 1 and KALTENMOOR in mails[0].to
    stored = json.dumps(mails[0].payload, ensure_ascii=False)
    assert links.PLACEHOLDER in stored  # the live link is minted at delivery
    assert "/portal/anmelden/" not in stored
    assert count(app, PortalRequest) == 4  # both requests counted, per address and per client


def test_link_requests_are_limited_per_address(app: App):
    for n in range(portal_store.MAX_REQUESTS_PER_ADDRESS + 2):
        app.bus.handle(c.RequestPortalLink(KALTENMOOR, f"10.0.0.{n}"), PORTAL)
    assert len(outbox(app)) == portal_store.MAX_REQUESTS_PER_ADDRESS


def test_a_bad_address_is_refused_at_its_field_and_not_counted(app: App):
    with pytest.raises(UsageError) as refused:
        app.bus.handle(c.RequestPortalLink("keine-adresse", "10.0.0.1"), PORTAL)
    assert [p.field for p in refused.value.problems] == ["email"]
    assert "E-Mail-Adresse" in refused.value.problems[0].message
    assert count(app, PortalRequest) == 0 and outbox(app) == []
