"""Writing outbox messages in the caller's transaction, and reading their states."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from ..store.models import OutboxMessage
from .status import MessageStatus

#: Column sizes (store/models/outbox.py): longer values are a programming error.
_CHANNEL_MAX, _DESTINATION_MAX, _KEY_MAX = 32, 512, 255


async def enqueue(
    session: AsyncSession,
    *,
    channel: str,
    destination: str,
    payload: dict[str, Any],
    ordering_key: str | None = None,
    not_before: datetime | None = None,
) -> OutboxMessage:
    """Add one message to the outbox in ``session``'s transaction (flushed, not committed)."""
    if not channel or len(channel) > _CHANNEL_MAX:
        raise ValueError(f"channel must be 1..{_CHANNEL_MAX} characters")
    if not destination or len(destination) > _DESTINATION_MAX:
        raise ValueError(f"destination must be 1..{_DESTINATION_MAX} characters")
    if ordering_key is not None and len(ordering_key) > _KEY_MAX:
        raise ValueError(f"ordering_key must be at most {_KEY_MAX} characters")
    message = OutboxMessage(
        channel=channel,
        destination=destination,
        ordering_key=ordering_key,
        payload=payload,
        status=MessageStatus.PENDING.value,
        attempts=0,
    )
    if not_before is not None:
        message.next_attempt_at = not_before
    session.add(message)
    await session.flush()
    return message


async def message_states(
    session: AsyncSession, ids: Iterable[int]
) -> dict[int, tuple[MessageStatus, int, datetime | None, str | None]]:
    """id -> (status, attempts, sent_at, last_error) for the given messages (one query)."""
    wanted = sorted(set(ids))
    if not wanted:
        return {}
    rows = await session.execute(
        select(
            OutboxMessage.id,
            OutboxMessage.status,
            OutboxMessage.attempts,
            OutboxMessage.sent_at,
            OutboxMessage.last_error,
        ).where(OutboxMessage.id.in_(wanted))
    )
    return {
        row.id: (MessageStatus(row.status), row.attempts, row.sent_at, row.last_error)
        for row in rows
    }
