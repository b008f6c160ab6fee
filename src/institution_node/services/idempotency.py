"""Idempotent writes across institutions, keyed by the caller's idempotency key.

The key is claimed first (an ``IdempotencyRecord`` row, primary key = the key) and the action
runs in the same transaction. A concurrent duplicate therefore waits on the claimed key
(PostgreSQL row lock on the primary key; SQLite's write lock) and, once the first commits,
gets its stored answer; if the first fails, nothing is stored and the duplicate runs itself.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Awaitable, Callable, Mapping
from typing import Any

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from network_common.errors import Conflict, ErrorCode, InvalidInput

from ..store.models import IdempotencyRecord

MAX_KEY_LENGTH = 128


def payload_hash(operation: str, payload: Mapping[str, Any]) -> str:
    """A stable digest of what was asked (key order and whitespace do not matter)."""
    canonical = json.dumps(
        {"operation": operation, "payload": payload},
        sort_keys=True,
        separators=(",", ":"),
        default=str,
    )
    return hashlib.sha256(canonical.encode()).hexdigest()


def _replay(record: IdempotencyRecord, operation: str, digest: str) -> dict[str, Any]:
    if record.operation != operation or record.payload_hash != digest:
        raise Conflict(
            "This idempotency key was already used for a different request",
            code=ErrorCode.IDEMPOTENCY_MISMATCH,
        )
    result: dict[str, Any] = json.loads(record.result)
    return result


async def run_idempotent(
    session: AsyncSession,
    *,
    key: str,
    operation: str,
    payload: Mapping[str, Any],
    action: Callable[[], Awaitable[dict[str, Any]]],
    still_true: Callable[[dict[str, Any]], Awaitable[bool]] | None = None,
) -> dict[str, Any]:
    """Run ``action`` once per key; a retry with the same payload gets the first result.

    ``action`` writes through ``session`` without committing; this function commits its
    writes together with the record (or rolls both back). Give it a fresh session.
    ``still_true``: whether a stored result still describes the world (e.g. the linked
    account it names was not deleted since); when not, the key's record is dropped and
    ``action`` runs again, so a replay never answers with something that is gone.
    """
    if not key or len(key) > MAX_KEY_LENGTH:
        raise InvalidInput(f"idempotencyKey must be 1 to {MAX_KEY_LENGTH} characters")
    digest = payload_hash(operation, payload)
    existing = await session.get(IdempotencyRecord, key)
    if existing is not None:
        answer = _replay(existing, operation, digest)
        if still_true is None or await still_true(answer):
            await session.rollback()
            return answer
        await session.delete(existing)
        await session.flush()
    record = IdempotencyRecord(key=key, operation=operation, payload_hash=digest, result="")
    session.add(record)
    try:
        await session.flush()
    except IntegrityError:
        # Someone claimed the key since we looked: their transaction has finished now.
        await session.rollback()
        return await _stored(session, key, operation, digest)
    try:
        record.result = json.dumps(await action(), sort_keys=True, default=str)
        await session.commit()
    except BaseException:
        await session.rollback()
        raise
    # The first caller gets exactly what a retry will get (the stored JSON).
    first: dict[str, Any] = json.loads(record.result)
    return first


async def _stored(session: AsyncSession, key: str, operation: str, digest: str) -> dict[str, Any]:
    record = await session.scalar(select(IdempotencyRecord).where(IdempotencyRecord.key == key))
    if record is None:  # the first attempt failed and rolled back: the caller may retry
        raise Conflict("A request with this idempotency key is in progress; retry")
    answer = _replay(record, operation, digest)
    await session.rollback()
    return answer
