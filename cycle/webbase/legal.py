"""The pages every public body publishes (SPEC §18): ``/datenschutz``, ``/impressum``,
``/barrierefreiheit`` — public (no login), linked in the footer of every page of both sites.

The texts are Markdown files named in ``[rechtliches]`` (else the shipped German defaults in
``rechtliches/``), read at each request so that an edited file shows without a restart, and
rendered with markdown-it-py with raw HTML off: a text cannot bring markup or scripts, and
links are limited to markdown-it's safe schemes. The accessibility statement gets the feedback
channel (a ``mailto:`` to the Koordinierungsstelle) and its date from the config.
"""

from __future__ import annotations

from pathlib import Path
from urllib.parse import quote

from jinja2 import Environment
from markdown_it import MarkdownIt
from markupsafe import Markup
from starlette.requests import Request
from starlette.responses import HTMLResponse, Response
from starlette.routing import Route

from cycle.config.settings import Settings
from cycle.webbase.pages import environment, web

DEFAULTS = Path(__file__).parent / "rechtliches"
TITLES = {
    "datenschutz": "Datenschutzerklärung",
    "impressum": "Impressum",
    "barrierefreiheit": "Erklärung zur Barrierefreiheit",
}
PATHS = tuple(f"/{name}" for name in TITLES)
MAX_BYTES = 512 * 1024  # a legal text is a few pages


def source(settings: Settings, name: str) -> Path:
    """The Markdown file of one legal page: the configured one or the shipped default."""
    configured: Path | None = getattr(settings.rechtliches, name)
    return configured or DEFAULTS / f"{name}.md"


def to_html(text: str) -> Markup:
    """Markdown → HTML without raw HTML (``html`` off: ``<script>`` comes out as text)."""
    md = MarkdownIt("commonmark", {"html": False, "linkify": False, "typographer": False})
    return Markup(md.render(text))  # markdown-it escapes all text; html is off


def _templates(request: Request) -> Environment:
    env: Environment | None = getattr(request.app.state, "legal_templates", None)
    if env is None:
        env = request.app.state.legal_templates = environment()
    return env


def feedback_link(settings: Settings) -> str:
    stelle = settings.koordinierungsstelle
    subject = quote("Barriere melden: zyklus")
    return f"mailto:{stelle.email}?subject={subject}"


async def page(request: Request) -> Response:
    name = request.url.path.strip("/")
    settings = web(request).settings
    try:
        raw = source(settings, name).read_bytes()[:MAX_BYTES]
        body = to_html(raw.decode("utf-8", errors="replace"))
    except OSError:
        body = Markup("<p>Der Text dieser Seite ist zurzeit nicht verfügbar.</p>")
    statement = name == "barrierefreiheit"
    stand = settings.rechtliches.stand
    html = (
        _templates(request)
        .get_template("rechtliches.html")
        .render(
            title=TITLES[name],
            body=body,
            feedback=feedback_link(settings) if statement else None,
            stelle=settings.koordinierungsstelle,
            stand=f"{stand:%d.%m.%Y}" if stand else None,
        )
    )
    return HTMLResponse(html)


ROUTES = [Route(path, page, methods=["GET"]) for path in PATHS]
