"""Test support for single sign-on (SPEC §17): a site configured for a provider, the real
``oidc-provider-mock`` in a thread, and a small local provider for tokens the mock cannot make
(another audience, expired, wrong nonce, an unknown key): its discovery, JWKS and token
endpoints are real HTTP, its ID tokens are crafted with ``joserfc``."""

from __future__ import annotations

import contextlib
import json
import threading
from collections.abc import Iterator
from datetime import timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

import httpx
import oidc_provider_mock
from joserfc import jwt
from joserfc.jwk import KeySet, RSAKey

from cycle.clock import SystemClock
from tests.web.conftest import Site, make_site

CLIENT_ID = "zyklus"
SECRET_ENV = "ZYKLUS_OIDC_SECRET"
KOORDINATION, LESEND = "zyklus-koordination", "zyklus-lesend"


def real_now() -> str:
    """The site's frozen clock a minute ahead of the wall clock: the provider stamps its tokens
    with real time (``iat`` may lie at most ``oidc.LEEWAY`` ahead of the site's ``now``)."""
    return (SystemClock().now() + timedelta(minutes=1)).isoformat(timespec="seconds")


def oidc_section(issuer: str, local_login: bool = True, timeout_s: float = 5) -> str:
    return f"""
[web.oidc]
issuer = "{issuer}"
client_id = "{CLIENT_ID}"
client_secret_env = "{SECRET_ENV}"
local_login = {"true" if local_login else "false"}
timeout_s = {timeout_s}

[web.oidc.roles]
"{KOORDINATION}" = "koordinierungsstelle"
"{LESEND}" = "lesend"
"a1b2c3d4-0000-4000-8000-00000000abcd" = "stabsstellenleitung"  # an Entra group object id
"""


def configure(site: Site, issuer: str, **options: Any) -> None:
    """``[web.oidc]`` for ``issuer`` at the end of the site's config (replacing an earlier one)."""
    text = site.config.read_text(encoding="utf-8")
    text = text.split("\n[web.oidc]")[0].rstrip("\n") + "\n"
    site.config.write_text(text + oidc_section(issuer, **options), encoding="utf-8")


def sso_site(folder: Path, issuer: str, **options: Any) -> Site:
    site = make_site(folder, real_now())
    site.env[SECRET_ENV] = "client-geheimnis"
    configure(site, issuer, **options)
    return site


@contextlib.contextmanager
def mock_provider() -> Iterator[str]:
    """The real ``oidc-provider-mock`` in a thread; yields its issuer."""
    with oidc_provider_mock.run_server_in_thread() as server:
        yield f"http://localhost:{server.server_port}"


def set_user(issuer: str, sub: str, **claims: Any) -> None:
    answer = httpx.put(f"{issuer}/users/{sub}", json=claims, timeout=10)
    assert answer.status_code == 204, answer.text


def start(client: httpx.Client) -> httpx.Response:
    """``/anmelden/oidc``: the redirect to the provider's authorization endpoint."""
    answer = client.get("/anmelden/oidc")
    assert answer.status_code == 303, answer.text
    return answer


def authorize(location: str, sub: str) -> str:
    """Choose ``sub`` on the mock's form; returns the callback URL it redirects to."""
    with httpx.Client(timeout=10, follow_redirects=False) as provider:
        form = provider.get(location)
        assert form.status_code == 200, form.text
        answer = provider.post(location, data={"sub": sub})
        assert answer.status_code == 302, answer.text
        return answer.headers["location"]


def callback_path(url: str) -> str:
    parts = urlsplit(url)
    assert parts.path == "/anmelden/oidc/callback", url
    return f"{parts.path}?{parts.query}"


def sign_in(client: httpx.Client, sub: str) -> httpx.Response:
    """The whole flow against the mock: our answer to the provider's redirect."""
    location = start(client).headers["location"]
    return client.get(callback_path(authorize(location, sub)))


def query_of(location: str) -> dict[str, str]:
    return {k: v[0] for k, v in parse_qs(urlsplit(location).query).items()}


class LocalProvider:
    """Discovery, JWKS and a token endpoint that answers with ``next_token``."""

    def __init__(self) -> None:
        self.key = RSAKey.generate_key(2048, parameters={"kid": "schluessel-1", "use": "sig"})
        self.published = [self.key]
        self.next_token = ""
        self.used_codes: set[str] = set()
        owner = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args: object) -> None:  # quiet
                pass

            def _json(self, status: int, body: object) -> None:
                data = json.dumps(body).encode()
                self.send_response(status)
                self.send_header("content-type", "application/json")
                self.send_header("content-length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            def do_GET(self) -> None:
                if self.path == "/.well-known/openid-configuration":
                    self._json(200, owner.metadata())
                elif self.path == "/jwks":
                    keys = KeySet(owner.published).as_dict(private=False)
                    self._json(200, keys)
                else:
                    self._json(404, {})

            def do_POST(self) -> None:
                length = int(self.headers.get("content-length") or 0)
                form = parse_qs(self.rfile.read(length).decode())
                code = form.get("code", [""])[0]
                if self.path != "/token" or code in owner.used_codes:
                    self._json(400, {"error": "invalid_grant"})
                    return
                owner.used_codes.add(code)
                self._json(200, {"id_token": owner.next_token, "token_type": "Bearer"})

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.issuer = f"http://127.0.0.1:{self.server.server_address[1]}"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    def metadata(self) -> dict[str, object]:
        return {
            "issuer": self.issuer,
            "authorization_endpoint": f"{self.issuer}/authorize",
            "token_endpoint": f"{self.issuer}/token",
            "jwks_uri": f"{self.issuer}/jwks",
            "id_token_signing_alg_values_supported": ["RS256"],
        }

    def token(self, nonce: object, key: RSAKey | None = None, **changes: Any) -> str:
        now = int(SystemClock().now().timestamp())
        claims: dict[str, Any] = {
            "iss": self.issuer,
            "sub": "lokal-1",
            "aud": CLIENT_ID,
            "iat": now,
            "exp": now + 300,
            "nonce": nonce,
            "preferred_username": "k.lokal",
            "name": "Karla Lokal",
            "email": "k.lokal@stadt.example",
            "groups": [KOORDINATION],
        }
        claims.update(changes)
        signer = key or self.key
        header = {"alg": "RS256", "kid": signer.kid}
        return jwt.encode(header, {k: v for k, v in claims.items() if v is not None}, signer)

    def __enter__(self) -> LocalProvider:
        self.thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.server.shutdown()
        self.server.server_close()
