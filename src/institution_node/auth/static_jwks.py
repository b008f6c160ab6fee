"""Public keys given in configuration rather than fetched (the hub's key for tests/offline)."""

from __future__ import annotations

import json
from typing import Any

import jwt

from network_common.errors import Unauthenticated


class StaticJwks:
    """The same ``key_for`` interface as :class:`JwksCache`, over a fixed JWKS document."""

    def __init__(self, jwks_json: str) -> None:
        data = json.loads(jwks_json)
        self._keys: dict[str, Any] = {
            k["kid"]: jwt.PyJWK(k).key for k in data.get("keys", []) if "kid" in k
        }
        if not self._keys:
            raise ValueError("the configured JWKS holds no key with a 'kid'")

    async def key_for(self, kid: str | None) -> Any:
        if kid is None or kid not in self._keys:
            raise Unauthenticated("The access token is not valid")
        return self._keys[kid]
