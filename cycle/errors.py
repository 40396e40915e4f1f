"""Typed refusals. Each carries problems (field, stable code, German message) — no presentation.

The adapters decide how a refusal looks: the CLI prints ``--on: message`` and exits 1 or 2
(SPEC §11), the web application redisplays the form with the message beside the field, or
answers 403 for ``Forbidden``. Nothing below the adapters knows about exit codes or HTTP.

``exit_code`` stays as the CLI's reading of the kind of refusal (1 = refused by the domain,
2 = bad input); a string passed instead of a ``Problem`` is a problem without a field.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Problem:
    """One reason for a refusal. ``field`` names the command's field (``None``: the whole event)."""

    field: str | None
    code: str
    message: str

    def __str__(self) -> str:
        return self.message


class UserError(Exception):
    exit_code = 1

    def __init__(self, *problems: Problem | str) -> None:
        self.problems = [p if isinstance(p, Problem) else Problem(None, "", p) for p in problems]
        super().__init__("\n".join(p.message for p in self.problems))

    @property
    def lines(self) -> list[str]:
        """The messages alone (adapters add their own field labels)."""
        return [p.message for p in self.problems]

    def fields(self) -> set[str]:
        return {p.field for p in self.problems if p.field}


class Refused(UserError):
    """Refused by the domain: illegal transition or failed validation (CLI exit 1)."""

    exit_code = 1


class UsageError(UserError):
    """Bad input: unknown pairing or stage, bad argument, bad config (CLI exit 2)."""

    exit_code = 2


class Forbidden(UserError):
    """The principal may not do this (role or scope, SPEC §15): HTTP 403, nothing changed."""

    exit_code = 1
