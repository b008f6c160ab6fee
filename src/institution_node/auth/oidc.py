"""OpenID Connect sign-in of staff through the institution's identity provider (Authlib).

Authorization code flow with PKCE (S256), ``state`` and ``nonce``: ``begin`` builds the
provider's authorization URL and remembers the attempt (state → verifier, nonce) for ten
minutes in this process; ``finish`` exchanges the code at the provider's token endpoint and
validates the ID token (joserfc, by Authlib's author) against the provider's JWKS:
signature, ``iss``, ``aud``, ``exp``, ``nonce``. Requests are built with Authlib's RFC 6749 /
7636 functions and sent with the node's own httpx client (Authlib's httpx integration now
wants a different HTTP package). The provider's
metadata comes from ``<issuer>/.well-known/openid-configuration``.

Pending attempts live in memory: a node that runs several processes behind a load balancer
needs sticky sessions for ``/auth/oidc/*`` (documented in README).
"""

from __future__ import annotations

import secrets
import time
from collections import OrderedDict
from dataclasses import dataclass
from typing import Any

import httpx
from authlib.oauth2.rfc6749.parameters import prepare_grant_uri, prepare_token_request
from authlib.oauth2.rfc7636 import create_s256_code_challenge
from joserfc import jwt
from joserfc.errors import JoseError
from joserfc.jwk import KeySet

from network_common.errors import InvalidInput, Unauthenticated

PENDING_SECONDS = 600
MAX_PENDING = 10_000
METADATA_SECONDS = 3600
ALGORITHMS = ["RS256", "ES256", "PS256", "EdDSA"]


@dataclass(frozen=True, slots=True)
class OidcConfig:
    issuer: str
    client_id: str
    client_secret: str | None
    redirect_url: str
    scopes: str = "openid"


@dataclass(frozen=True, slots=True)
class _Pending:
    verifier: str
    nonce: str
    expires: float


class OidcClient:
    def __init__(self, config: OidcConfig, http: httpx.AsyncClient) -> None:
        self.config = config
        self._http = http
        self._pending: OrderedDict[str, _Pending] = OrderedDict()
        self._metadata: tuple[float, dict[str, Any]] | None = None
        self._keys: KeySet | None = None

    async def _meta(self) -> dict[str, Any]:
        if self._metadata is not None and time.monotonic() - self._metadata[0] < METADATA_SECONDS:
            return self._metadata[1]
        url = self.config.issuer.rstrip("/") + "/.well-known/openid-configuration"
        try:
            response = await self._http.get(url, timeout=10.0)
            response.raise_for_status()
            meta: dict[str, Any] = response.json()
            for name in ("authorization_endpoint", "token_endpoint", "jwks_uri", "issuer"):
                if not isinstance(meta.get(name), str):
                    raise ValueError(f"no {name}")
        except (httpx.HTTPError, ValueError) as exc:
            raise Unauthenticated("The identity provider cannot be reached") from exc
        self._metadata = (time.monotonic(), meta)
        self._keys = None
        return meta

    async def _key_set(self, meta: dict[str, Any], *, refresh: bool = False) -> KeySet:
        if self._keys is None or refresh:
            try:
                response = await self._http.get(meta["jwks_uri"], timeout=10.0)
                response.raise_for_status()
                self._keys = KeySet.import_key_set(response.json())
            except (httpx.HTTPError, ValueError, JoseError) as exc:
                raise Unauthenticated("The identity provider's keys are unavailable") from exc
        return self._keys

    def _forget_expired(self) -> None:
        now = time.monotonic()
        while self._pending:
            state, pending = next(iter(self._pending.items()))
            if pending.expires > now and len(self._pending) <= MAX_PENDING:
                break
            del self._pending[state]

    async def begin(self) -> str:
        """The provider's authorization URL for a new sign-in attempt."""
        meta = await self._meta()
        state, nonce, verifier = (secrets.token_urlsafe(24) for _ in range(3))
        self._forget_expired()
        self._pending[state] = _Pending(verifier, nonce, time.monotonic() + PENDING_SECONDS)
        url = prepare_grant_uri(
            meta["authorization_endpoint"],
            client_id=self.config.client_id,
            response_type="code",
            redirect_uri=self.config.redirect_url,
            scope=self.config.scopes,
            state=state,
            nonce=nonce,
            code_challenge=create_s256_code_challenge(verifier),
            code_challenge_method="S256",
        )
        return str(url)

    async def finish(self, *, code: str, state: str) -> dict[str, Any]:
        """The validated ID token claims of a completed attempt (Unauthenticated otherwise)."""
        self._forget_expired()
        pending = self._pending.pop(state, None)
        if pending is None:
            raise Unauthenticated("The sign-in attempt is unknown or has expired; start again")
        meta = await self._meta()
        extra = {"client_secret": self.config.client_secret} if self.config.client_secret else {}
        body = prepare_token_request(
            "authorization_code",
            code=code,
            redirect_uri=self.config.redirect_url,
            client_id=self.config.client_id,
            code_verifier=pending.verifier,
            **extra,
        )
        try:
            response = await self._http.post(
                meta["token_endpoint"],
                content=body,
                headers={
                    "content-type": "application/x-www-form-urlencoded",
                    "accept": "application/json",
                },
                timeout=10.0,
            )
            token = response.json()
            if response.status_code != 200 or not isinstance(token, dict):
                raise ValueError(f"HTTP {response.status_code}: {response.text[:300]}")
        except (httpx.HTTPError, ValueError) as exc:
            raise Unauthenticated("The identity provider did not accept the sign-in") from exc
        id_token = token.get("id_token")
        if not isinstance(id_token, str):
            raise Unauthenticated("The identity provider sent no ID token")
        return await self._validate(id_token, meta, nonce=pending.nonce)

    async def _validate(self, id_token: str, meta: dict[str, Any], *, nonce: str) -> dict[str, Any]:
        keys = await self._key_set(meta)
        try:
            try:
                decoded = jwt.decode(id_token, keys, algorithms=ALGORITHMS)
            except JoseError:
                # A key rotation at the provider: fetch its keys once more.
                decoded = jwt.decode(
                    id_token, await self._key_set(meta, refresh=True), algorithms=ALGORITHMS
                )
            jwt.JWTClaimsRegistry(
                iss={"essential": True, "value": meta["issuer"]},
                aud={"essential": True, "value": self.config.client_id},
                sub={"essential": True},
                nonce={"essential": True, "value": nonce},
                leeway=30,
            ).validate(decoded.claims)
        except (JoseError, ValueError) as exc:
            raise Unauthenticated("The identity provider's ID token is not valid") from exc
        return dict(decoded.claims)


def check_callback(params: dict[str, str]) -> tuple[str, str]:
    """``code`` and ``state`` of the provider's redirect, or why the sign-in stopped."""
    if "error" in params:
        raise Unauthenticated(f"The identity provider refused the sign-in ({params['error'][:64]})")
    code, state = params.get("code"), params.get("state")
    if not code or not state or len(code) > 2048 or len(state) > 256:
        raise InvalidInput("The callback needs 'code' and 'state'")
    return code, state
