"""Public keys given in configuration rather than fetched (the hub's key for tests/offline).

A JWKS given as a file (``NODE_HUB_JWKS_FILE``) is read again when the file changes, so a
hub key rotation reaches an offline node by replacing the file (``network-hub keys jwks``
prints the hub's current key set), without a restart.
"""

from __future__ import annotations

import json
import time
from pathlib import Path
from typing import Any

import jwt

from network_common.errors import Unauthenticated

RELOAD_SECONDS = 1.0


def _parse(jwks_json: str) -> dict[str, Any]:
    data = json.loads(jwks_json)
    keys: dict[str, Any] = {k["kid"]: jwt.PyJWK(k).key for k in data.get("keys", []) if "kid" in k}
    if not keys:
        raise ValueError("the configured JWKS holds no key with a 'kid'")
    return keys


class StaticJwks:
    """The same ``key_for`` interface as :class:`JwksCache`, over a fixed JWKS document."""

    def __init__(self, jwks_json: str, *, path: Path | None = None) -> None:
        self._keys = _parse(jwks_json)
        self._path = path
        self._mtime = path.stat().st_mtime_ns if path is not None else 0
        self._checked = time.monotonic()

    @classmethod
    def from_file(cls, path: Path) -> StaticJwks:
        return cls(path.read_text(), path=path)

    def _reload(self) -> None:
        if self._path is None or time.monotonic() - self._checked < RELOAD_SECONDS:
            return
        self._checked = time.monotonic()
        try:
            mtime = self._path.stat().st_mtime_ns
            if mtime != self._mtime:
                self._keys = _parse(self._path.read_text())
                self._mtime = mtime
        except (OSError, ValueError, KeyError, TypeError, jwt.PyJWTError):
            return  # a half-written or broken file: keep the keys we have

    async def key_for(self, kid: str | None) -> Any:
        self._reload()
        if kid is None or kid not in self._keys:
            raise Unauthenticated("The access token is not valid")
        return self._keys[kid]
