"""The coordinator's web application (SPEC §13): ``create_app(app)`` builds it, ``serve`` runs it.

Routes are thin, one module per area (``overview``, ``cycle_page``, ``group``, ``vn``, ``outbox``,
``preview``, ``protocol``, ``reports``); every change goes through ``app.bus.handle`` with the
logged-in user as principal, so the web application can forget no permission.
"""

from cycle.web.app import create_app

__all__ = ["create_app"]
