"""E-mail content: Jinja2 template triplets rendered into subject, text and HTML.

Each kind has ``<kind>-subject.txt``, ``<kind>-body.txt`` and ``<kind>-body.html`` in
``notifications/templates/``; a folder passed as ``override_dir`` is searched first, so a deployment
can replace any single file. Bodies extend ``_layout-body.txt`` / ``_layout-body.html`` and put
their content into the block ``inhalt``; a bundle (``Renderer.bundle``) reuses exactly that block
of each part, without the greeting and signature.

Context contract (the integrator fills it; unknown extra keys are ignored):

- every kind: ``kind`` (str), ``koordinierungsstelle`` {``name``, ``email``}
- stage notifications (erinnerung, eskalation, einladung, terminerinnerung,
  eingangsbestaetigung): ``level`` (int, 1..), ``stage`` {``id``, ``name``, ``type``: meeting |
  group_meeting | report | proof_of_funds}, ``pairing`` {``id``, ``angebot``, ``handlungsfeld``
  (both may be None)}, ``traeger`` {``name``, ``leitung`` (str or None)}, ``stadtteil`` {``name``},
  ``year`` (int), ``due`` (date: the effective due date), ``days`` (int: >0 days left, 0 due today,
  <0 days overdue), ``meeting`` ({``start``: aware datetime, ``location``: str or None} or None;
  required for einladung and terminerinnerung), ``recipients_role`` (str: the role the mail is
  addressed to, "kontakte", "koordinierungsstelle" (a group meeting not yet scheduled) or
  "stabsstellenleitung"; erinnerung and eskalation bodies are written for it), ``attachments``
  (list of file names attached to this message). For erinnerung, eskalation and
  terminerinnerung also what went out before: ``erinnert_am`` and ``eskaliert_am`` (lists of
  dates) and ``eingeladen`` (bool). Optional: ``verschoben`` (bool; einladung for a
  re-scheduled meeting). ``absage`` (a cancelled meeting) also needs ``grund`` (str).
  ``aufgabe`` (a sign-off task: level 1/2 Kenntnisnahme and its reminder, 3/4 Ablage and its
  reminder) needs ``seit`` (date the step became due) and ``link`` (the web page of the step).
- ``wochenuebersicht``: ``week`` (ISO week label, "2026-W14"), ``rows`` (list of {``pairing``,
  ``traeger``, ``stadtteil``, ``stage``, ``status`` (str), ``due`` (date), ``overdue_days``
  (int, 0 if not overdue), ``wartet`` (str: "wartet seit 3 Tagen auf Prüfung" or "")}),
  ``counts`` {``zyklen``, ``ueberfaellig``, ``bald_faellig``, ``wartend``} (ints).
  Optional: ``protokoll`` {``eintraege`` (int), ``hash`` (str)}: the audit head published as an
  anchor (SPEC §9).
- ``zustellfehler``: ``failed`` {``subject`` (str), ``to`` (list of str or str), ``error`` (str),
  ``attempts`` (int)}.
- ``Renderer.bundle``: ``stadtteile`` (list of Stadtteil names, in order) and
  ``koordinierungsstelle``.

Datetimes are shown in Europe/Berlin; naive datetimes are refused.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import jinja2
from markupsafe import Markup, escape

from notifications.filters import FILTERS
from notifications.shapes import Holes, Shapes, Unshapeable

KINDS = (
    "erinnerung",
    "eskalation",
    "einladung",
    "absage",
    "terminerinnerung",
    "eingangsbestaetigung",
    "aufgabe",
    "wochenuebersicht",
    "zustellfehler",
)
BUNDLE_KIND = "sammelnachricht"
_NEEDS_MEETING = ("einladung", "absage", "terminerinnerung")
_BLANK_RUNS = re.compile(r"\n{3,}")
_FIRST_WORD = re.compile(r"^(\s*(?:<[^>]*>\s*)*)(\w)")


@dataclass(frozen=True)
class Rendered:
    """One rendered notification. ``*_section`` is the body without greeting and signature."""

    subject: str
    text: str
    html: str
    text_section: str = ""
    html_section: str = ""


class _Environment(jinja2.Environment):
    """Looks up ``a.b`` on a plain dict as a key first (the contexts are dicts).

    Jinja tries the attribute first and falls back to the key through an exception, once per
    access; no template names a dict method, so the result is the same.
    """

    def getattr(self, obj: Any, attribute: str) -> Any:
        if type(obj) is dict:
            try:
                return obj[attribute]
            except KeyError:
                pass
        return super().getattr(obj, attribute)


class UnknownKind(ValueError):
    """No template triplet exists for the requested kind."""


class Renderer:
    """Renders template triplets; ``override_dir`` (if given) wins over the package templates."""

    def __init__(self, override_dir: Path | None = None, auto_reload: bool = False) -> None:
        """``auto_reload=True`` re-reads changed template files (tests that edit overrides);
        in production the files are read once per process, not checked on every render."""
        loaders: list[jinja2.BaseLoader] = []
        if override_dir is not None:
            loaders.append(jinja2.FileSystemLoader(str(override_dir)))
        loaders.append(jinja2.PackageLoader("notifications", "templates"))
        self._env = _Environment(
            loader=jinja2.ChoiceLoader(loaders),
            auto_reload=auto_reload,
            autoescape=jinja2.select_autoescape(enabled_extensions=("html",), default=False),
            undefined=jinja2.StrictUndefined,
            trim_blocks=True,
            lstrip_blocks=True,
            keep_trailing_newline=False,
        )
        self._env.filters.update(FILTERS)
        self._override_dir = override_dir
        self._overridden: dict[str, bool] = {}
        self.shapes: Shapes[Rendered, Rendered] = Shapes(kept=512)

    def render(self, kind: str, context: Mapping[str, Any]) -> Rendered:
        """Render the triplet of ``kind`` with ``context`` (see the module docstring)."""
        if kind in _NEEDS_MEETING and not context.get("meeting"):
            raise ValueError(f"{kind} needs a meeting in the context")
        ctx = {**context, "kind": kind}
        return self._render_triplet(kind, ctx)

    def render_shaped(
        self, kind: str, context: Mapping[str, Any], varying: Sequence[str]
    ) -> Rendered:
        """``render``, rendering the template once per shape of the context.

        ``varying`` names (dotted paths) the plain-text values that differ from mail to mail
        (names, ids, links; a list's items each). They are replaced by placeholders, the
        template is rendered once per remaining context (``notifications.shapes``), and each
        mail fills in its own values (escaped in HTML, as autoescaping would). The first mail of
        each shape is also rendered in full and compared: a template that treats a value other
        than by printing it (a filter, a test) falls back to full rendering for that shape.
        Templates overridden by the deployment are always rendered in full.
        """
        if not self._shapeable(kind):
            return self.render(kind, context)
        holes = Holes()
        try:
            shaped = _placeholders(context, varying, holes)
        except Unshapeable:
            return self.render(kind, context)
        return self.shapes.build(
            f"{kind}\x00{shaped!r}",
            full=lambda: self.render(kind, context),
            template=lambda: self.render(kind, shaped),
            fill=lambda template: _fill(template, holes),
        )

    def _shapeable(self, kind: str) -> bool:
        if self._override_dir is None:
            return True
        found = self._overridden.get(kind)
        if found is None:
            names = (
                [p.name for p in self._override_dir.iterdir()]
                if self._override_dir.is_dir()
                else []
            )
            found = any(n.startswith(("_", f"{kind}-")) for n in names)
            self._overridden[kind] = found
        return not found

    def bundle(self, parts: Sequence[Rendered], context: Mapping[str, Any]) -> Rendered:
        """Combine several notifications for the same recipients into one message.

        A single part is returned unchanged. ``context`` needs ``stadtteile`` and
        ``koordinierungsstelle``.
        """
        if not parts:
            raise ValueError("bundle needs at least one part")
        if len(parts) == 1:
            return parts[0]
        items = [
            {
                "subject": part.subject,
                "text": _sentence_start(part.text_section or part.text),
                "html": Markup(_sentence_start(part.html_section or part.html)),
            }
            for part in parts
        ]
        ctx = {**context, "kind": BUNDLE_KIND, "parts": items, "count": len(items)}
        return self._render_triplet(BUNDLE_KIND, ctx)

    def _render_triplet(self, kind: str, ctx: dict[str, Any]) -> Rendered:
        subject = " ".join(self._template(f"{kind}-subject.txt").render(ctx).split())
        text, text_section = self._body(f"{kind}-body.txt", ctx)
        html, html_section = self._body(f"{kind}-body.html", ctx)
        return Rendered(subject, text, html, text_section, html_section)

    def _template(self, name: str) -> jinja2.Template:
        try:
            return self._env.get_template(name)
        except jinja2.TemplateNotFound as exc:
            raise UnknownKind(f"Keine Vorlage {name!r} gefunden") from exc

    def _body(self, name: str, ctx: dict[str, Any]) -> tuple[str, str]:
        """The full body and its ``inhalt`` block, the block rendered once.

        The block's output is rendered first and then handed to the layout in its place, so the
        full body is exactly what ``template.render`` gives, without rendering the content twice.
        """
        template = self._template(name)
        block = template.blocks.get("inhalt")
        if block is None:
            full = _tidy(template.render(ctx))
            return full, full
        try:
            context = template.new_context(ctx)
            raw = "".join(block(context))
            # Ours first: the child and layout blocks the root adds go behind it, unused.
            context.blocks["inhalt"] = [lambda _context: iter((raw,))]
            full = "".join(template.root_render_func(context))
        except Exception:  # Jinja rewrites the traceback to point at the template line
            self._env.handle_exception()
        return _tidy(full), _tidy(raw)


def _placeholders(
    context: Mapping[str, Any], varying: Sequence[str], holes: Holes
) -> dict[str, Any]:
    """A copy of ``context`` with the values at ``varying`` replaced by placeholders. Raises
    ``Unshapeable`` for a value whitespace rules would change (a line break, double spaces)."""
    shaped: dict[str, Any] = dict(context)

    def hole(value: Any) -> Any:
        if not isinstance(value, str):
            return value
        if value != " ".join(value.split()):
            raise Unshapeable(value)
        return holes.hole(value)

    for path in varying:
        *parents, leaf = path.split(".")
        node = shaped
        for name in parents:
            inner = node.get(name)
            if not isinstance(inner, dict):
                break
            node[name] = inner = dict(inner)
            node = inner
        else:
            if leaf in node:
                value = node[leaf]
                if isinstance(value, list | tuple):
                    node[leaf] = [hole(v) for v in value]
                else:
                    node[leaf] = hole(value)
    return shaped


def _fill(template: Rendered, holes: Holes) -> Rendered:
    """The placeholders of ``template`` replaced by their values (HTML-escaped in the HTML)."""

    def html(part: str) -> str:
        return holes.fill(part, lambda value: str(escape(value)))

    return Rendered(
        holes.fill(template.subject),
        holes.fill(template.text),
        html(template.html),
        holes.fill(template.text_section),
        html(template.html_section),
    )


def _sentence_start(text: str) -> str:
    """Capitalise the first letter (after leading tags): a section read without the greeting."""
    return _FIRST_WORD.sub(lambda m: m[1] + m[2].upper(), text, count=1)


def _tidy(text: str) -> str:
    """Strip trailing spaces, collapse runs of blank lines, end with exactly one newline."""
    lines = [line.rstrip() for line in text.strip().splitlines()]
    return _BLANK_RUNS.sub("\n\n", "\n".join(lines)) + "\n"
