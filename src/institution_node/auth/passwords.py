"""Staff passwords: argon2id (argon2-cffi, RFC 9106 low-memory parameters) and the policy.

Hashing and checking cost ~50 ms of CPU and 64 MiB on purpose; callers run them in a
worker thread so the event loop keeps serving.
"""

from __future__ import annotations

import asyncio

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError

from network_common.errors import InvalidInput

MIN_LENGTH = 12
MAX_LENGTH = 1024

_hasher = PasswordHasher()
#: Checked against when the user is unknown, so a guess costs the same either way.
_DUMMY_HASH = _hasher.hash("not a password of anyone here")


def check_policy(password: str) -> None:
    """Length only (NIST SP 800-63B): at least 12 characters, at most 1024."""
    if len(password) < MIN_LENGTH:
        raise InvalidInput(f"A password needs at least {MIN_LENGTH} characters")
    if len(password) > MAX_LENGTH:
        raise InvalidInput(f"A password has at most {MAX_LENGTH} characters")
    if "\x00" in password:
        raise InvalidInput("A password must not contain NUL characters")


def hash_password(password: str) -> str:
    check_policy(password)
    return _hasher.hash(password)


def verify(stored_hash: str | None, password: str) -> bool:
    """Whether ``password`` matches (constant work also when there is no hash)."""
    if len(password) > MAX_LENGTH:
        return False
    try:
        return _hasher.verify(stored_hash or _DUMMY_HASH, password) and stored_hash is not None
    except (VerifyMismatchError, VerificationError, InvalidHashError):
        return False


def needs_rehash(stored_hash: str) -> bool:
    return _hasher.check_needs_rehash(stored_hash)


async def verify_async(stored_hash: str | None, password: str) -> bool:
    return await asyncio.to_thread(verify, stored_hash, password)


async def hash_async(password: str) -> str:
    return await asyncio.to_thread(hash_password, password)
