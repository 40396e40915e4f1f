"""The coordinator's web application (SPEC §13): the staff routes and their pages.

Routes are thin, one module per area (``overview``, ``cycle_page``, ``group``, ``vn``, ``outbox``,
``preview``, ``protocol``, ``reports``, ``auth``); every change goes through ``app.bus.handle``
with the logged-in user as principal, so the web application can forget no permission. The
ASGI application that serves it beside the portal is ``cycle.server.app.create_app``.
"""
