"""API keys: ``lfn_<key id>_<secret>``; only SHA-256 of the secret is stored.

The secret is 32 random bytes, so a fast hash is enough (no password stretching needed);
comparison is constant-time.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets

from network_common.errors import Unauthenticated

PREFIX = "lfn"


def generate() -> tuple[str, str, str]:
    """A new key: (full key to hand out once, key id, stored hash)."""
    key_id = secrets.token_hex(8)
    secret = secrets.token_urlsafe(32)
    return f"{PREFIX}_{key_id}_{secret}", key_id, digest(secret)


def digest(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()


def split(full_key: str) -> tuple[str, str]:
    """(key id, secret) of a presented key, or Unauthenticated."""
    parts = full_key.strip().split("_", 2)
    if len(parts) != 3 or parts[0] != PREFIX or not parts[1] or not parts[2]:
        raise Unauthenticated("The API key is not valid")
    return parts[1], parts[2]


def matches(secret: str, stored_hash: str) -> bool:
    return hmac.compare_digest(digest(secret), stored_hash)
