"""Caller tokens: accepted only when they verify against the issuing member's own keys."""

from __future__ import annotations

import time
from collections import OrderedDict
from collections.abc import Awaitable, Callable

from network_common.errors import Unauthenticated
from network_common.jwks import JwksCache, unverified_header_kid, unverified_issuer
from network_common.tokens import Principal, decode, principal_from_claims

from .ended_sessions import EndedSessions
from .registry import MemberRegistry

REMEMBERED_TOKENS = 4096
ENDED = "The session has ended (credentials revoked or account disabled); sign in again"


class CallerVerifier:
    """Verifies member-issued tokens; keys per member are fetched lazily and cached."""

    def __init__(
        self,
        registry: MemberRegistry,
        *,
        remember: int = REMEMBERED_TOKENS,
        gate: Callable[[str], Awaitable[str | None]] | None = None,
        ended: EndedSessions | None = None,
    ) -> None:
        self._registry = registry
        #: Tokens the issuing member has ended (disabled staff, revoked keys), None: no check.
        self._ended = ended
        #: Why a member's tokens are refused now (members/vetting.py), None: accepted.
        self._gate = gate
        self._caches: dict[str, JwksCache] = {}
        # Staff UIs send the same token with every request; checking its signature once is
        # enough (parsing and verifying costs a noticeable share of the hub's own time).
        # Entries end with the token's own expiry.
        self._verified: OrderedDict[str, tuple[Principal, float]] = OrderedDict()
        self._remember = remember

    def _cache(self, code: str) -> JwksCache:
        cache = self._caches.get(code)
        if cache is None:
            client = self._registry.get(code)
            if client is None:
                raise Unauthenticated("The token was not issued by a member of this network")
            cache = JwksCache(client.member.jwks_url, client.http)
            self._caches[code] = cache
        return cache

    async def _admitted(self, issuer: str) -> None:
        if self._gate is not None and await self._gate(issuer) is not None:
            raise Unauthenticated("The issuing member is not accepted by this hub right now")

    async def _still_valid(self, principal: Principal) -> Principal:
        if self._ended is not None and await self._ended.refuses(principal):
            raise Unauthenticated(ENDED)
        return principal

    async def verify(self, token: str) -> Principal:
        """The verified caller, or Unauthenticated (non-member, forged, expired, malformed,
        or issued in the name of a member the hub refuses)."""
        known = self._verified.get(token)
        if known is not None:
            if time.time() < known[1]:
                self._verified.move_to_end(token)
                await self._admitted(known[0].institution)
                return await self._still_valid(known[0])
            del self._verified[token]
        issuer = unverified_issuer(token)
        if issuer not in self._registry:
            raise Unauthenticated("The token was not issued by a member of this network")
        await self._admitted(issuer)
        key = await self._cache(issuer).key_for(unverified_header_kid(token))
        claims = decode(token, key, issuer=issuer)
        principal = principal_from_claims(claims)
        self._verified[token] = (principal, float(claims["exp"]))
        if len(self._verified) > self._remember:
            self._verified.popitem(last=False)
        return await self._still_valid(principal)

    async def from_header(self, authorization: str | None) -> Principal:
        if not authorization or not authorization.lower().startswith("bearer "):
            raise Unauthenticated("A bearer token from a member institution is required")
        return await self.verify(authorization[7:].strip())
