"""Cheap pieces of a MIME message: folded header text, encoded words, quoted-printable parts.

``message.to_mime`` builds every message of a drain; with the email package's header registry
that cost more than the whole SMTP dialogue (about 2 ms to build, 0.7 ms to flatten a reminder).
So the headers are folded here, once, into the text the generator writes as it is:

- From, To, Cc and Subject are stored as folded ASCII text (``Message.set_raw``, as the parser
  stores what it reads). Non-ASCII text becomes RFC 2047 Q-encoded words (UTF-8, whole
  characters, at most ``WORD`` characters each); ASCII names with specials are quoted. Where a
  value cannot be folded to ``LINE`` characters (a very long word, a non-ASCII address), ``fold``
  returns ``None`` and the caller lets the email package do it.
- Content-Type and Content-Transfer-Encoding, which the generator reads several times per part,
  are parsed header objects that are written as given (``written``).

Reading any of these headers back (``msg["To"].addresses``) parses them as usual.
"""

from __future__ import annotations

import binascii
import functools
import secrets
from collections.abc import Sequence
from email import policy
from email.headerregistry import BaseHeader, HeaderRegistry
from email.message import EmailMessage
from email.policy import Policy
from typing import TYPE_CHECKING, cast

LINE = 78  # the line length the email package folds to (RFC 5322: "SHOULD" be at most 78)
WORD = 66  # the longest encoded word: fits on one line after "Subject: "
_Q_SAFE = frozenset(b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789!*+-/")
# RFC 2047 §5 (3): only these stand for themselves in a Q-encoded word, also inside a phrase
_Q = tuple(chr(b) if b in _Q_SAFE else "_" if b == 0x20 else f"={b:02X}" for b in range(256))
_SPECIALS = frozenset('()<>[]:;@\\,."')  # RFC 5322 specials: a display name with them is quoted
QP = "quoted-printable"


def fold(name: str, tokens: Sequence[str]) -> str | None:
    """``tokens`` joined by single spaces, folded before a token where a line of the header
    ``name`` would exceed ``LINE`` characters; ``None`` if a token is not ASCII or too long."""
    lines: list[str] = []
    line, used = "", len(name) + 2  # "Name: "
    for token in tokens:
        if not token.isascii():
            return None
        if line and used + len(line) + 1 + len(token) > LINE:
            lines.append(line)
            line, used = token, 1  # a continuation line starts with a space
        else:
            line = f"{line} {token}" if line else token
        if used + len(line) > LINE:
            return None
    lines.append(line)
    return "\n ".join(lines)


def encoded_words(text: str) -> list[str]:
    """``text`` as Q-encoded UTF-8 words; readers join adjacent words without the space between
    them, so the text comes back exactly. Raises ``UnicodeEncodeError`` for a lone surrogate."""
    room = WORD - len("=?utf-8?q??=")
    words: list[str] = []
    chunk: list[str] = []
    size = 0
    for char in text:
        code = ord(char)
        piece = _Q[code] if code < 0x80 else "".join(_Q[b] for b in char.encode())
        if chunk and size + len(piece) > room:
            words.append(f"=?utf-8?q?{''.join(chunk)}?=")
            chunk, size = [], 0
        chunk.append(piece)
        size += len(piece)
    if chunk:
        words.append(f"=?utf-8?q?{''.join(chunk)}?=")
    return words


def unstructured(text: str) -> list[str]:
    """The tokens of an unstructured header (Subject) of cleaned ``text``: its words, or encoded
    words when it is not ASCII or contains ``=?`` (which a reader would decode)."""
    if text.isascii() and "=?" not in text:
        return text.split(" ") if text else []
    return encoded_words(text)


def mailbox(display_name: str, addr_spec: str) -> tuple[str, ...]:
    """The tokens of one address: the display name (as words, quoted, or encoded) and ``<addr>``."""
    if not display_name:
        return (addr_spec,)
    if not display_name.isascii() or "=?" in display_name:
        return (*encoded_words(display_name), f"<{addr_spec}>")
    if _SPECIALS.isdisjoint(display_name) and display_name == " ".join(display_name.split()):
        return (*display_name.split(" "), f"<{addr_spec}>")
    quoted = display_name.replace("\\", "\\\\").replace('"', '\\"')
    return (f'"{quoted}"', f"<{addr_spec}>")


def address_list(mailboxes: Sequence[tuple[str, ...]]) -> list[str]:
    """The tokens of an address list: the mailboxes' tokens, a comma after all but the last."""
    tokens: list[str] = []
    for index, tokens_of_one in enumerate(mailboxes):
        tokens.extend(tokens_of_one)
        if index < len(mailboxes) - 1:
            tokens[-1] += ","
    return tokens


def text_part(part: EmailMessage, subtype: str, text: str) -> EmailMessage:
    """``part`` as text/``subtype``, UTF-8, quoted-printable, with the text's line ends as ``\\n``
    and a final one (as ``set_content`` does)."""
    data = b"\n".join(text.encode("utf-8").splitlines()) + b"\n"
    part.set_raw("Content-Type", written("Content-Type", f'text/{subtype}; charset="utf-8"'))
    part.set_raw("Content-Transfer-Encoding", written("Content-Transfer-Encoding", QP))
    part.set_payload(binascii.b2a_qp(data, istext=True).decode("ascii"))
    return part


def alternative(msg: EmailMessage, parts: Sequence[EmailMessage]) -> None:
    """``msg`` as multipart/alternative of ``parts`` (quoted-printable text parts)."""
    msg.set_raw("Content-Type", _alternative())
    msg.set_payload(list(parts))


@functools.cache
def _alternative() -> _AsWritten:
    """The Content-Type of every multipart/alternative, with one boundary per process.

    The boundary looks like the email package's own (``===============<19 digits>==``). ``=``
    never stands for itself in quoted-printable or base64 text, so it cannot occur in a part and
    one boundary serves every message (building the header per message cost a third of
    ``to_mime``).
    """
    boundary = f"{'=' * 15}{secrets.randbelow(10**19):019d}=="
    header = _header("Content-Type", f'multipart/alternative; boundary="{boundary}"')
    header._source = f'multipart/alternative;\n boundary="{boundary}"'  # too long for one line
    return header


# For mypy the mixin is a header; at run time it must come before the registry's header class
# and BaseHeader (as ``(_AsWritten, ContentTypeHeader, BaseHeader)``, all importable: pickle and
# deepcopy rebuild a header from its bases).
if TYPE_CHECKING:
    _Header = BaseHeader
else:
    _Header = object


class _AsWritten(_Header):
    """A parsed header that is written exactly as it was given.

    The generator reads every part's Content-Type and Content-Transfer-Encoding several times and
    writes each header once. Stored as text, a header is parsed again on every read; as a parsed
    header, it is refolded on every write. This one is parsed once and written as given
    (``_source``: the value, with a line break and a space where it is folded).
    """

    _source: str

    def fold(self, *, policy: Policy) -> str:
        lines = f"{self.name}: {self._source}".split("\n")
        limit = policy.max_line_length  # 0 or None: no limit
        if limit and any(len(line) > limit for line in lines):
            return super().fold(policy=policy)
        return policy.linesep.join(lines) + policy.linesep


@functools.cache
def _as_written(name: str) -> type[_AsWritten]:
    registry = cast(HeaderRegistry, policy.default.header_factory)
    kind = registry.registry.get(name.lower(), registry.default_class)
    return type(f"_AsWritten{kind.__name__}", (_AsWritten, kind, registry.base_class), {})


def _header(name: str, value: str) -> _AsWritten:
    header = _as_written(name)(name, value)
    header._source = value
    return header


# The constant headers of the text parts are shared: header objects are never changed in place.
written = functools.lru_cache(maxsize=16)(_header)
