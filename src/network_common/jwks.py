"""Fetch and cache a peer's JWKS (the hub's keys at a node; members' keys at the hub)."""

from __future__ import annotations

import asyncio
import time
from typing import Any

import httpx
import jwt

from network_common.errors import Unauthenticated


class JwksCache:
    """Public keys of one issuer, refetched after ``ttl`` seconds or on an unknown ``kid``.

    An unknown ``kid`` is how a key rotation shows: the refetch happens at once, or — when
    the last fetch is younger than ``min_refresh`` seconds — as soon as that has passed (the
    caller waits for it rather than being refused), so a token signed with a new key never
    fails, while forged kids cannot make more than one fetch per ``min_refresh``.
    """

    def __init__(
        self, url: str, client: httpx.AsyncClient, *, ttl: float = 300.0, min_refresh: float = 1.0
    ) -> None:
        self.url = url
        self._client = client
        self._ttl = ttl
        self._min_refresh = min_refresh
        self._keys: dict[str, Any] = {}
        self._fetched_at = 0.0
        self._lock = asyncio.Lock()

    async def _refresh(self, kid: str | None = None) -> None:
        async with self._lock:
            if kid is not None and kid in self._keys:
                return  # fetched by another caller meanwhile
            age = time.monotonic() - self._fetched_at
            if age < self._min_refresh and self._keys:
                if kid is None:
                    return
                await asyncio.sleep(self._min_refresh - age)
            try:
                response = await self._client.get(self.url, timeout=5.0)
                response.raise_for_status()
                data = response.json()
                keys = {k["kid"]: jwt.PyJWK(k).key for k in data.get("keys", []) if "kid" in k}
            except (
                httpx.HTTPError,
                ValueError,
                KeyError,
                TypeError,
                AttributeError,  # JSON that is not a key set (a list, a string, ...)
                jwt.PyJWTError,
            ) as exc:
                if self._keys:
                    return  # keep serving the keys we have
                raise Unauthenticated("The token issuer's keys are unavailable") from exc
            self._keys = keys
            self._fetched_at = time.monotonic()

    async def key_for(self, kid: str | None) -> Any:
        if kid not in self._keys:
            await self._refresh(kid)
        elif time.monotonic() - self._fetched_at > self._ttl:
            await self._refresh()
        if kid is None or kid not in self._keys:
            raise Unauthenticated("The access token is not valid")
        return self._keys[kid]


def unverified_header_kid(token: str) -> str | None:
    try:
        header = jwt.get_unverified_header(token)
    except jwt.PyJWTError as exc:
        raise Unauthenticated("The access token is not valid") from exc
    kid = header.get("kid")
    return str(kid) if kid is not None else None


def unverified_issuer(token: str) -> str:
    try:
        claims = jwt.decode(token, options={"verify_signature": False})
    except jwt.PyJWTError as exc:
        raise Unauthenticated("The access token is not valid") from exc
    iss = claims.get("iss")
    if not isinstance(iss, str):
        raise Unauthenticated("The access token is not valid")
    return iss
