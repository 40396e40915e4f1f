"""The Träger portal (SPEC §14), mounted by the web application under ``/portal``.

A Träger contact has no account: a personal link in every mail (``cycle.persistence.
portal_store``) opens a session limited to the contact's pairings. Pages: Meine Fristen
(``fristen``), Termine (``termine``), Jahresbericht (``jahresbericht``), Verwendungsnachweis
(``verwendungsnachweis``, ``vn_form``), Kalender (``kalender``); getting in and out: ``access``.
Every change goes through ``app.bus.handle`` with the contact as principal
(``<email> via Portal``).
"""

from __future__ import annotations

from starlette.routing import BaseRoute, Mount, Router

from cycle.portal import access, fristen, jahresbericht, kalender, termine, verwendungsnachweis
from cycle.portal.pages import NoReferrer, not_found

PREFIX = "/portal"


async def _not_found(scope: object, receive: object, send: object) -> None:
    from starlette.requests import Request

    response = not_found(Request(scope))  # type: ignore[arg-type]
    await response(scope, receive, send)  # type: ignore[arg-type]


def routes() -> list[BaseRoute]:
    """Every route of the portal, relative to ``PREFIX``."""
    return [
        *access.ROUTES,
        *fristen.ROUTES,
        *termine.ROUTES,
        *jahresbericht.ROUTES,
        *verwendungsnachweis.ROUTES,
        *kalender.ROUTES,
    ]


def mount() -> Mount:
    """The portal as one ``Mount`` for the web application's routes."""
    return Mount(PREFIX, app=NoReferrer(Router(routes=routes(), default=_not_found)))


__all__ = ["PREFIX", "mount", "routes"]
