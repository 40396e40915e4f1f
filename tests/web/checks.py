"""Checks shared by the request-level tests: security headers, Content-Disposition."""

from __future__ import annotations

from email.message import Message
from email.utils import collapse_rfc2231_value

import httpx

from cycle.webbase.security import HEADERS


def assert_security_headers(answer: httpx.Response) -> None:
    """The headers of SPEC §13; the portal is stricter about the referrer (tokens in URLs)."""
    portal = answer.request.url.path.startswith("/portal/")
    expected = HEADERS | ({"referrer-policy": "no-referrer"} if portal else {})
    for name, value in expected.items():
        assert answer.headers.get(name) == value, name


def filename_params(header: str) -> tuple[list[str], list[str]]:
    """The values of ``filename`` and ``filename*`` as a mail/HTTP header parser reads them."""
    message = Message()
    message["content-disposition"] = header
    params = message.get_params(header="content-disposition") or []
    assert params[0] == ("attachment", ""), params
    assert len(params) == 3 and {k for k, _ in params[1:]} == {"filename"}, params
    plain = [v for _, v in params[1:] if isinstance(v, str)]
    # ``filename*`` comes back RFC 2231-decoded: (charset, language, text)
    star = [collapse_rfc2231_value(v) for _, v in params[1:] if isinstance(v, tuple)]
    return plain, star
