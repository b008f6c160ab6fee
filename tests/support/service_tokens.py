"""A stand-in for the hub's signing key: sign service tokens the way the hub does."""

from __future__ import annotations

import json
import time
import uuid
from typing import Any

import jwt

from network_common.keys import SigningKey

HUB_ISSUER = "network-hub"


def hub_key() -> SigningKey:
    return SigningKey.generate()


def hub_settings(key: SigningKey) -> dict[str, Any]:
    """Node settings that trust ``key`` as the hub's key (no JWKS URL needed)."""
    return {"hub_jwks_json": json.dumps(key.jwks())}


def service_token(
    key: SigningKey,
    audience: str,
    *,
    issuer: str = HUB_ISSUER,
    typ: str = "service",
    ttl: int = 300,
    issued_at: float | None = None,
    kid: str | None = None,
) -> str:
    now = int(issued_at if issued_at is not None else time.time())
    claims = {
        "iss": issuer,
        "sub": issuer,
        "aud": audience,
        "typ": typ,
        "iat": now,
        "exp": now + ttl,
        "jti": uuid.uuid4().hex,
    }
    return jwt.encode(claims, key.private_key, algorithm="ES256", headers={"kid": kid or key.kid})
