"""The city's OpenID provider as zyklus sees it (SPEC §17): discovery, JWKS, code exchange and
the full check of the ID token. HTTP with ``httpx`` (``[web.oidc] timeout_s``); the OAuth 2.0
and PKCE parameters with Authlib; the JOSE work with ``joserfc`` (Authlib's JOSE library).

The ID token is accepted only when its signature verifies with a key of the provider's JWKS
(a ``kid`` not yet known fetches the JWKS again once: key rotation) under an asymmetric
algorithm the provider announces, and ``iss``, ``aud`` (and ``azp`` with several audiences),
``exp``, ``iat`` and ``nonce`` are as expected at ``now`` (the application's clock) with
``LEEWAY`` for clock skew. Every failure is a ``Failure`` with a short reason for the audit
log; the page says only what the user can act on.
"""

from __future__ import annotations

import threading
import time
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import httpx
from authlib.common.security import generate_token
from authlib.common.urls import add_params_to_uri
from authlib.oauth2.rfc6749.parameters import prepare_grant_uri
from authlib.oauth2.rfc7636 import create_s256_code_challenge
from joserfc import jws, jwt
from joserfc.errors import (
    BadSignatureError,
    ExpiredTokenError,
    InvalidClaimError,
    JoseError,
    MissingClaimError,
)
from joserfc.jwk import KeySet
from starlette.requests import Request

from cycle.config.settings import OidcSettings
from cycle.webbase.pages import web

LEEWAY = 120  # seconds of clock skew allowed for exp and iat
METADATA_SECONDS = 3600  # discovery and JWKS are fetched again after this long
CALLBACK = "/anmelden/oidc/callback"
ALGORITHMS = ("RS256", "RS384", "RS512", "PS256", "PS384", "PS512", "ES256", "ES384", "ES512")


class Failure(Exception):
    """A sign-on that cannot go on: ``reason`` for the audit log, ``down`` for a provider that
    did not answer (a different page: try again later)."""

    def __init__(self, reason: str, detail: str = "", down: bool = False) -> None:
        super().__init__(reason)
        self.reason, self.detail, self.down = reason, detail, down


@dataclass(frozen=True)
class Start:
    url: str  # where the browser goes: the provider's authorization endpoint
    state: str
    nonce: str
    verifier: str


class Provider:
    """One per web process; caches the discovery document and the JWKS (thread-safe)."""

    def __init__(self, settings: OidcSettings, secret: str, redirect_uri: str) -> None:
        self.settings, self.secret, self.redirect_uri = settings, secret, redirect_uri
        self._lock = threading.Lock()
        self._metadata: tuple[float, dict[str, Any]] | None = None
        self._keys: tuple[float, KeySet] | None = None

    # --- HTTP --------------------------------------------------------------------------------

    def _get(self, url: str) -> dict[str, Any]:
        try:
            answer = httpx.get(url, timeout=self.settings.timeout_s)
            answer.raise_for_status()
            found = answer.json()
        except (httpx.HTTPError, ValueError) as exc:
            raise Failure("anbieter_nicht_erreichbar", f"{url}: {exc}", down=True) from exc
        if not isinstance(found, dict):
            raise Failure("anbieter_antwort_ungueltig", url, down=True)
        return found

    def metadata(self) -> dict[str, Any]:
        with self._lock:
            cached = self._metadata
        if cached is not None and time.monotonic() - cached[0] < METADATA_SECONDS:
            return cached[1]
        found = self._get(f"{self.settings.issuer}/.well-known/openid-configuration")
        if found.get("issuer") != self.settings.issuer:
            raise Failure("iss", f"discovery issuer {found.get('issuer')!r}", down=True)
        with self._lock:
            self._metadata = (time.monotonic(), found)
        return found

    def _keyset(self, refresh: bool) -> KeySet:
        with self._lock:
            cached = self._keys
        if not refresh and cached is not None and time.monotonic() - cached[0] < METADATA_SECONDS:
            return cached[1]
        try:
            keys = KeySet.import_key_set(self._get(str(self.metadata()["jwks_uri"])))  # type: ignore[arg-type]
        except (KeyError, ValueError, JoseError) as exc:
            raise Failure("jwks_ungueltig", str(exc), down=True) from exc
        with self._lock:
            self._keys = (time.monotonic(), keys)
        return keys

    # --- the flow ----------------------------------------------------------------------------

    def start(self) -> Start:
        """The authorization request: code flow with PKCE (S256), ``state`` and ``nonce``."""
        endpoint = str(self.metadata().get("authorization_endpoint") or "")
        if not endpoint:
            raise Failure("anbieter_antwort_ungueltig", "authorization_endpoint", down=True)
        state, nonce, verifier = generate_token(32), generate_token(32), generate_token(64)
        url = prepare_grant_uri(
            endpoint,
            self.settings.client_id,
            "code",
            redirect_uri=self.redirect_uri,
            scope=self.settings.scopes,
            state=state,
            nonce=nonce,
            code_challenge=create_s256_code_challenge(verifier),  # type: ignore[no-untyped-call]
            code_challenge_method="S256",
        )
        return Start(url, state, nonce, verifier)

    def exchange(self, code: str, verifier: str) -> str:
        """The ID token for ``code`` from the token endpoint (client_secret_basic)."""
        endpoint = str(self.metadata().get("token_endpoint") or "")
        try:
            answer = httpx.post(
                endpoint,
                data={
                    "grant_type": "authorization_code",
                    "code": code,
                    "redirect_uri": self.redirect_uri,
                    "code_verifier": verifier,
                },
                auth=(self.settings.client_id, self.secret),
                timeout=self.settings.timeout_s,
            )
        except httpx.HTTPError as exc:
            raise Failure("anbieter_nicht_erreichbar", f"{endpoint}: {exc}", down=True) from exc
        if answer.status_code >= 500:
            detail = f"HTTP {answer.status_code}: {answer.text[:200]}"
            raise Failure("anbieter_nicht_erreichbar", detail, down=True)
        try:
            body = answer.json()
        except ValueError:
            body = {}
        if answer.status_code != 200 or not isinstance(body, dict):
            error = body.get("error", "") if isinstance(body, dict) else ""
            raise Failure("code", f"HTTP {answer.status_code} {error}".strip())
        token = body.get("id_token")
        if not isinstance(token, str):
            raise Failure("kein_id_token")
        return token

    def verify(self, id_token: str, nonce: str, now: datetime) -> dict[str, Any]:
        """The claims of ``id_token`` once every check of the module docstring passed."""
        try:
            header = jws.extract_compact(id_token.encode()).headers()
        except (JoseError, ValueError) as exc:
            raise Failure("token_ungueltig", str(exc)) from exc
        allowed = [
            a
            for a in self.metadata().get("id_token_signing_alg_values_supported", ["RS256"])
            if a in ALGORITHMS
        ]
        if header.get("alg") not in allowed:
            raise Failure("algorithmus", str(header.get("alg")))
        kid = header.get("kid")
        keys = self._keyset(refresh=False)
        if not _has(keys, kid):
            keys = self._keyset(refresh=True)  # the provider may have rotated its keys
            if not _has(keys, kid):
                raise Failure("schluessel_unbekannt", str(kid))
        try:
            token = jwt.decode(id_token, keys, algorithms=allowed)
        except BadSignatureError as exc:
            raise Failure("signatur", str(exc)) from exc
        except (JoseError, ValueError) as exc:
            raise Failure("token_ungueltig", str(exc)) from exc
        claims = dict(token.claims)
        registry = jwt.JWTClaimsRegistry(
            now=int(now.timestamp()),
            leeway=LEEWAY,
            iss={"essential": True, "value": self.settings.issuer},
            aud={"essential": True, "value": self.settings.client_id},
            sub={"essential": True},
            exp={"essential": True},
            iat={"essential": True},
            nonce={"essential": True, "value": nonce},
        )
        try:
            registry.validate(claims)
        except ExpiredTokenError as exc:
            raise Failure("abgelaufen", str(exc)) from exc
        except MissingClaimError as exc:
            raise Failure("unvollstaendig", str(exc)) from exc
        except InvalidClaimError as exc:
            raise Failure(str(exc.claim), str(exc)) from exc
        audiences = claims["aud"] if isinstance(claims["aud"], list) else [claims["aud"]]
        if len(audiences) > 1 and claims.get("azp") != self.settings.client_id:
            raise Failure("aud", "azp")
        return claims

    def end_session(self, after: str) -> str | None:
        """The provider's logout address that sends the browser back to ``after``, if offered."""
        try:
            endpoint = self.metadata().get("end_session_endpoint")
        except Failure:
            return None
        if not isinstance(endpoint, str) or not endpoint:
            return None
        params = [("client_id", self.settings.client_id), ("post_logout_redirect_uri", after)]
        return str(add_params_to_uri(endpoint, params))


def _has(keys: KeySet, kid: object) -> bool:
    if kid is None:
        return len(keys.keys) == 1
    try:
        keys.get_by_kid(str(kid))
    except (JoseError, ValueError, KeyError):
        return False
    return True


def provider(request: Request, oidc: OidcSettings) -> Provider:
    """The process's provider client (its caches live as long as the application); the client
    secret from the environment variable ``[web.oidc] client_secret_env``."""
    state = request.app.state
    found: Provider | None = getattr(state, "oidc_provider", None)
    if found is None:
        w = web(request)
        secret = w.app.environ.get(oidc.client_secret_env, "")
        found = Provider(oidc, secret, w.settings.web.base_url + CALLBACK)
        state.oidc_provider = found
    return found
