"""``zyklus web``: the ASGI application that serves the web application and, under
``/portal``, the Träger portal, and the uvicorn server that runs it."""
