"""The hub's own service tokens for node calls (NETWORK.md: aud = member, 5 min, reused)."""

from __future__ import annotations

import secrets
import time
from collections.abc import Callable

import jwt

from network_common.keys import KeyRing, SigningKey
from network_common.vocabulary import PrincipalKind

LIFETIME_SECONDS = 300
RENEW_BEFORE_SECONDS = 60


class ServiceTokens:
    """Signs one token per member audience and reuses it until a minute before expiry."""

    def __init__(
        self, key: SigningKey | KeyRing, *, issuer: str, clock: Callable[[], float] = time.time
    ) -> None:
        self._keys = key
        self._issuer = issuer
        self._clock = clock
        self._cache: dict[str, tuple[str, float, str]] = {}

    @property
    def _key(self) -> SigningKey:
        return self._keys.current if isinstance(self._keys, KeyRing) else self._keys

    def for_member(self, member_code: str) -> str:
        now = self._clock()
        key = self._key
        cached = self._cache.get(member_code)
        # After a rotation new tokens use the new key at once (the old ones stay valid).
        if cached is not None and cached[1] - RENEW_BEFORE_SECONDS > now and cached[2] == key.kid:
            return cached[0]
        issued = int(now)
        claims = {
            "iss": self._issuer,
            "sub": self._issuer,
            "aud": member_code,
            "typ": PrincipalKind.SERVICE.value,
            "iat": issued,
            "exp": issued + LIFETIME_SECONDS,
            "jti": secrets.token_hex(12),
        }
        token = jwt.encode(claims, key.private_key, algorithm="ES256", headers={"kid": key.kid})
        self._cache[member_code] = (token, float(issued + LIFETIME_SECONDS), key.kid)
        return token
