"""CLI commands of the web application and the portal: ``web``, ``user``, ``portal``.

``add_parsers`` runs at start-up (argparse only, no heavy imports); the command functions
import what they need when called.
"""

from __future__ import annotations

import argparse
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from cycle.bootstrap import App

ROLES = ("koordinierungsstelle", "stabsstellenleitung", "ablage", "lesend")


def _port(text: str) -> int:
    if not text.isdigit() or not 1 <= int(text) <= 65535:
        raise argparse.ArgumentTypeError(f"„{text}“ ist kein Port (1–65535)")
    return int(text)


def _workers(text: str) -> int:
    if not text.isdigit() or not 1 <= int(text) <= 64:
        raise argparse.ArgumentTypeError(f"„{text}“ ist keine Anzahl von Prozessen (1–64)")
    return int(text)


def add_parsers(sub: argparse._SubParsersAction[Any]) -> None:
    """Add the subcommands of this module to the ``zyklus`` parser."""
    p = sub.add_parser("web", help="Webanwendung der Koordinierungsstelle starten")
    p.add_argument("--host", metavar="HOST", help="Adresse (Standard: [web] host)")
    p.add_argument("--port", type=_port, metavar="PORT", help="Port (Standard: [web] port)")
    p.add_argument(
        "--workers", type=_workers, metavar="N", help="Prozesse (Standard: [web] workers, 1)"
    )

    p = sub.add_parser("user", help="Benutzer der Webanwendung verwalten")
    users = p.add_subparsers(
        dest="user_action", metavar="AKTION", required=True, parser_class=type(p)
    )
    u = users.add_parser("add", help="Benutzer anlegen (Passwort: Eingabe oder $ZYKLUS_PASSWORD)")
    u.add_argument("login", metavar="LOGIN")
    u.add_argument("--role", required=True, choices=ROLES, metavar="ROLE", help=", ".join(ROLES))
    u.add_argument("--name", required=True, metavar="NAME")
    u.add_argument("--email", metavar="ADDR")
    u.add_argument(
        "--link",
        action="store_true",
        help="kein Passwort eingeben: Link zum Festlegen per E-Mail (24 h, einmal verwendbar)",
    )
    u = users.add_parser("passwd", help="Passwort ändern (meldet alle Sitzungen ab)")
    u.add_argument("login", metavar="LOGIN")
    u = users.add_parser("disable", help="Benutzer sperren (meldet alle Sitzungen ab)")
    u.add_argument("login", metavar="LOGIN")
    u = users.add_parser("enable", help="gesperrten Benutzer wieder zulassen")
    u.add_argument("login", metavar="LOGIN")
    u = users.add_parser("role", help="Rolle ändern (eine kleinere meldet alle Sitzungen ab)")
    u.add_argument("login", metavar="LOGIN")
    u.add_argument("role", choices=ROLES, metavar="ROLE", help=", ".join(ROLES))
    users.add_parser("list", help="Benutzer auflisten")

    p = sub.add_parser("portal", help="Zugänge der Träger-Kontakte zum Portal verwalten")
    portal = p.add_subparsers(
        dest="portal_action", metavar="AKTION", required=True, parser_class=type(p)
    )
    u = portal.add_parser(
        "revoke", help="alle Links, Sitzungen und Kalenderadressen eines Kontakts ungültig machen"
    )
    u.add_argument("address", metavar="ADDR", help="E-Mail-Adresse des Kontakts")


def cmd_web(app: App, args: argparse.Namespace) -> int:
    from cycle.server.server import serve

    return int(serve(app, args.host, args.port, args.workers))


def cmd_user(app: App, args: argparse.Namespace) -> int:
    from cycle.service import commands as c
    from cycle.service.principal import Principal

    principal = Principal.operator(app.actor(None))
    if args.user_action == "list":
        return _list_users(app)
    if args.user_action == "add":
        password = None if args.link else _password(app)
        command: object = c.AddUser(args.login, args.role, args.name, password, args.email)
        done = f"Benutzer „{args.login}“ angelegt ({args.role})."
        if args.link:
            done += f" Der Link zum Festlegen des Passworts geht an {args.email}."
    elif args.user_action == "passwd":
        command = c.ChangePassword(args.login, _password(app))
        done = f"Passwort von „{args.login}“ geändert; offene Sitzungen sind abgemeldet."
    elif args.user_action == "enable":
        command = c.EnableUser(args.login)
        done = f"Benutzer „{args.login}“ entsperrt."
    elif args.user_action == "role":
        command = c.ChangeRole(args.login, args.role)
        done = f"Rolle von „{args.login}“ ist jetzt {args.role}."
    else:
        command = c.DisableUser(args.login)
        done = f"Benutzer „{args.login}“ gesperrt; offene Sitzungen sind abgemeldet."
    app.bus.handle(command, principal)
    print(done)
    return 0


def _password(app: App) -> str:
    """``$ZYKLUS_PASSWORD`` when stdin is not a terminal, else asked twice (SPEC §11)."""
    import getpass
    import sys

    from cycle.errors import UsageError
    from cycle.service.accounts import MIN_PASSWORD

    if not sys.stdin.isatty():
        password = app.environ.get("ZYKLUS_PASSWORD", "")
        if not password:
            raise UsageError(
                "Kein Passwort: Ohne Terminal wird es aus $ZYKLUS_PASSWORD gelesen "
                f"(mindestens {MIN_PASSWORD} Zeichen)."
            )
        return password
    first = getpass.getpass(f"Passwort (mindestens {MIN_PASSWORD} Zeichen): ")
    if getpass.getpass("Passwort wiederholen: ") != first:
        raise UsageError("Die beiden Eingaben stimmen nicht überein; nichts geändert.")
    return first


def _list_users(app: App) -> int:
    from cycle.persistence.uow import reading
    from cycle.service.accounts import list_users
    from cycle.views.formats import table

    with reading(app.engine) as session:
        users = list_users(session)
    if not users:
        print("Noch keine Benutzer. Anlegen mit: zyklus user add LOGIN --role ROLE --name NAME")
        return 0
    rows = [
        [u.login, u.name, u.role_label, u.email or "", "aktiv" if u.active else "gesperrt"]
        for u in users
    ]
    print(table(["Benutzer", "Name", "Rolle", "E-Mail", "Status"], rows))
    return 0


def cmd_portal(app: App, args: argparse.Namespace) -> int:
    """``zyklus portal revoke ADDR``: the contact's links, sessions and feeds end at once."""
    from cycle.service import commands
    from cycle.service.principal import Principal

    outcome = app.bus.handle(
        commands.RevokePortal(args.address), Principal.operator(app.actor(None))
    )
    counts = outcome.cycle_changes[0].detail
    print(
        f"Portalzugang von {counts['email']} widerrufen: {counts['links']} Links, "
        f"{counts['sitzungen']} Sitzungen, {counts['kalender']} Kalenderadressen ungültig. "
        "Neue Links erhält der Kontakt mit der nächsten E-Mail oder auf Anforderung, solange "
        "die Adresse in den Stammdaten steht."
    )
    return 0


COMMANDS: dict[str, Callable[[App, argparse.Namespace], int]] = {
    "web": cmd_web,
    "user": cmd_user,
    "portal": cmd_portal,
}
