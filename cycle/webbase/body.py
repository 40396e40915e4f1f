"""Reading a form body in bounded steps, stopping at the first refusal (SPEC §14 "Limits").

- Fields other than files: at most ``FIELDS_MAX`` bytes together (names and values). A route
  that takes no file refuses a body over that by its ``Content-Length`` before reading any of it,
  and refuses a file part; a chunked body is counted while it streams.
- Before the first byte of a file part is read, ``gate(fields so far)`` runs (the CSRF check,
  see ``pages.post``); a refusal ends the reading there. The CSRF field stands before the file
  inputs in every form. Whether the user may give the command at all is asked even earlier,
  before the body (``permissions.require_kind``).
- File contents go to Starlette's spooled temporary files (on disk beyond 1 MB); the whole body
  stays under ``BodyLimit`` (``[web] upload_max_mb``).

The parsers are Starlette's own (python-multipart underneath) with two callbacks extended.
"""

from __future__ import annotations

from collections.abc import AsyncGenerator, AsyncIterator, Callable
from contextlib import aclosing, asynccontextmanager

from python_multipart.multipart import parse_options_header
from starlette.datastructures import FormData
from starlette.formparsers import FormParser, MultiPartException, MultiPartParser
from starlette.requests import Request

FIELDS_MAX = 1024 * 1024
MAX_FIELDS = 1000


class BodyRefused(Exception):
    """The body is refused; ``status``, a German ``title`` and ``lines`` for the page."""

    def __init__(self, status: int, title: str, *lines: str) -> None:
        super().__init__(title)
        self.status, self.title, self.lines = status, title, list(lines)


def too_many_field_bytes() -> BodyRefused:
    return BodyRefused(
        413,
        "Anfrage zu groß",
        f"Die Formularfelder sind zusammen größer als {FIELDS_MAX // 1024} KB (ohne Dateien); "
        "nichts wurde geändert.",
    )


def no_files_here() -> BodyRefused:
    return BodyRefused(
        400, "Ungültige Anfrage", "Dieses Formular nimmt keine Dateien an; nichts wurde geändert."
    )


def malformed() -> BodyRefused:
    return BodyRefused(
        400,
        "Ungültige Anfrage",
        "Das Formular kam unvollständig oder in einem unbekannten Format an (zu viele Felder "
        "oder Dateien?); nichts wurde geändert.",
    )


Gate = Callable[[FormData], None]


class _Fields(FormParser):
    """URL-encoded fields, counted together against ``FIELDS_MAX``."""

    seen = 0

    def on_field_name(self, data: bytes, start: int, end: int) -> None:
        self._count(end - start)
        super().on_field_name(data, start, end)

    def on_field_data(self, data: bytes, start: int, end: int) -> None:
        self._count(end - start)
        super().on_field_data(data, start, end)

    def _count(self, size: int) -> None:
        self.seen += size
        if self.seen > FIELDS_MAX:
            raise too_many_field_bytes()


class _Parts(MultiPartParser):
    """Multipart: field parts counted against ``FIELDS_MAX``; the gate before the first file."""

    def __init__(
        self,
        request: Request,
        stream: AsyncGenerator[bytes, None],
        max_files: int,
        gate: Gate | None,
    ) -> None:
        super().__init__(
            request.headers,
            stream,
            max_files=max_files,
            max_fields=MAX_FIELDS,
            max_part_size=FIELDS_MAX,
        )
        self.gate, self.seen, self.opened = gate, 0, False

    def on_part_data(self, data: bytes, start: int, end: int) -> None:
        if self._current_part.file is None:
            self.seen += end - start
            if self.seen > FIELDS_MAX:
                raise too_many_field_bytes()
        super().on_part_data(data, start, end)

    def on_headers_finished(self) -> None:
        if b"filename" in parse_options_header(self._current_part.content_disposition)[1]:
            if self.max_files == 0:
                raise no_files_here()
            if not self.opened and self.gate is not None:
                self.gate(FormData(self.items))  # raises to refuse; nothing of the file is read
            self.opened = True
        super().on_headers_finished()


@asynccontextmanager
async def form_of(
    request: Request, files: int = 0, gate: Gate | None = None
) -> AsyncIterator[FormData]:
    """The form of ``request``; ``BodyRefused`` at the first limit or refusal.

    ``files`` is how many file parts the route takes (0: none, and the whole body must fit
    ``FIELDS_MAX``). Spooled files are closed when the block ends.
    """
    form = await _read(request, files, gate)
    try:
        yield form
    finally:
        await form.close()


async def _read(request: Request, files: int, gate: Gate | None) -> FormData:
    kind, _ = parse_options_header(request.headers.get("content-type"))
    length = request.headers.get("content-length", "")
    if files == 0 and length.isdigit() and int(length) > FIELDS_MAX:
        raise too_many_field_bytes()  # before a byte of it is read
    try:
        if kind == b"multipart/form-data":
            async with aclosing(request.stream()) as stream:
                return await _Parts(request, stream, files, gate).parse()
        if kind == b"application/x-www-form-urlencoded":
            async with aclosing(request.stream()) as stream:
                fields = _Fields(
                    request.headers,
                    stream,
                    max_fields=MAX_FIELDS,
                    max_part_size=FIELDS_MAX,
                )
                return await fields.parse()
    except MultiPartException:
        raise malformed() from None
    if length not in ("", "0") or "transfer-encoding" in request.headers:
        raise malformed()  # a body in a format no form of ours sends
    return FormData()
