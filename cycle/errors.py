"""Errors a user sees. Each carries German lines and the exit code of SPEC §11."""

from __future__ import annotations


class UserError(Exception):
    exit_code = 1

    def __init__(self, *lines: str) -> None:
        super().__init__("\n".join(lines))
        self.lines = list(lines)


class Refused(UserError):
    """Refused by the domain: illegal transition or failed validation (exit 1)."""

    exit_code = 1


class UsageError(UserError):
    """Bad usage: unknown pairing, bad argument, bad config (exit 2)."""

    exit_code = 2
