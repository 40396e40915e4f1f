"""Page plumbing both sites share: the composition root and secret of a request (``Web``),
the template environment with the German filters, POST → redirect → GET with a flash message,
form values and refusals by field."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from urllib.parse import quote

from jinja2 import ChoiceLoader, Environment, FileSystemLoader, StrictUndefined, select_autoescape
from markupsafe import Markup
from starlette.datastructures import FormData
from starlette.requests import Request
from starlette.responses import RedirectResponse

from cycle import german
from cycle.bootstrap import App
from cycle.config.settings import Settings
from cycle.errors import UserError
from cycle.text import has_bidi, strip_bidi
from cycle.views import labels
from cycle.webbase import params  # noqa: F401 - registers the path convertors jahr, nummer
from cycle.webbase.security import FLASH_COOKIE, Secret

TEMPLATES = Path(__file__).parent / "templates"
STATIC = Path(__file__).parent / "static"


@dataclass
class Web:
    """What the routes share: the composition root and the secret."""

    app: App
    secret: Secret

    @property
    def settings(self) -> Settings:
        return self.app.settings


def web(request: Request) -> Web:
    found: Web = request.app.state.web
    return found


def _shown(value: object) -> object:
    """Every ``{{ … }}`` of the staff pages and the portal: no bidi controls (``cycle.text``),
    also in what was stored before they were removed at input; markup stays markup."""
    if isinstance(value, str) and has_bidi(value):
        return Markup(strip_bidi(value)) if isinstance(value, Markup) else strip_bidi(value)
    return value


def environment(*folders: Path) -> Environment:
    """The templates of ``folders`` (first found wins), then the shared ones (``macros.html``)."""
    env = Environment(
        loader=ChoiceLoader([FileSystemLoader(f) for f in (*folders, TEMPLATES)]),
        autoescape=select_autoescape(default=True),
        undefined=StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
        finalize=_shown,
    )
    env.filters["datum"] = german.datum
    env.filters["zahl"] = german.zahl
    env.filters["status"] = labels.status_label
    env.globals["aenderung"] = labels.change_text
    env.filters["ereignis"] = lambda name: labels.action_label(str(name))
    env.filters["art"] = labels.kind_label
    env.filters["urlq"] = lambda s: quote(str(s), safe="")
    return env


def done(request: Request, target: str, message: str) -> RedirectResponse:
    """POST → redirect → GET, with a German confirmation shown once on the next page."""
    response = RedirectResponse(target, status_code=303)
    response.set_cookie(
        FLASH_COOKIE,
        web(request).secret.pack(message),
        httponly=True,
        samesite="lax",
        secure=web(request).settings.web.secure,
        path="/",
    )
    return response


def text(form: FormData, key: str) -> str:
    value = form.get(key)
    return value.strip() if isinstance(value, str) else ""


def errors_of(exc: UserError, known: set[str]) -> dict[str | None, list[str]]:
    """Messages by form field; a problem about a field the form does not show goes on top."""
    found: dict[str | None, list[str]] = {}
    for p in exc.problems:
        key = p.field if p.field in known else None
        found.setdefault(key, []).append(p.message)
    return found
