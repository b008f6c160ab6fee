"""Caller tokens: accepted only when they verify against the issuing member's own keys."""

from __future__ import annotations

from institution_node.auth.jwks import JwksCache, unverified_header_kid, unverified_issuer
from institution_node.auth.tokens import Principal, decode, principal_from_claims
from institution_node.domain.errors import Unauthenticated

from .registry import MemberRegistry


class CallerVerifier:
    """Verifies member-issued tokens; keys per member are fetched lazily and cached."""

    def __init__(self, registry: MemberRegistry) -> None:
        self._registry = registry
        self._caches: dict[str, JwksCache] = {}

    def _cache(self, code: str) -> JwksCache:
        cache = self._caches.get(code)
        if cache is None:
            client = self._registry.get(code)
            if client is None:
                raise Unauthenticated("The token was not issued by a member of this network")
            cache = JwksCache(client.member.jwks_url, client.http)
            self._caches[code] = cache
        return cache

    async def verify(self, token: str) -> Principal:
        """The verified caller, or Unauthenticated (non-member, forged, expired, malformed)."""
        issuer = unverified_issuer(token)
        if issuer not in self._registry:
            raise Unauthenticated("The token was not issued by a member of this network")
        key = await self._cache(issuer).key_for(unverified_header_kid(token))
        return principal_from_claims(decode(token, key, issuer=issuer))

    async def from_header(self, authorization: str | None) -> Principal:
        if not authorization or not authorization.lower().startswith("bearer "):
            raise Unauthenticated("A bearer token from a member institution is required")
        return await self.verify(authorization[7:].strip())
