"""Finding the owner's item and its request for an acting member, and running a keyed step."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from network_common.errors import Conflict, ErrorCode, NotFound
from network_common.vocabulary import RequestStatus

from ...domain.requests import RequestEvent, RequestKind
from ...store.models import Item, Request
from ..idempotency import run_idempotent
from .steps import Acting, OwnerStep

S, E = RequestStatus, RequestEvent
NOT_YOURS = "No such item on its way to, or held at, your institution"
PATRON_ACTIVE = (S.PICK_FROM_SHELF.value, S.IN_TRANSIT.value, S.ON_HOLD_SHELF.value)


def now() -> datetime:
    """The moment of a step (UTC)."""
    return datetime.now(UTC)


async def item_row(session: AsyncSession, barcode: str, *, lock: bool) -> Item:
    """The item by barcode (locked for a write); the same NOT_FOUND as a foreign one."""
    query = select(Item).where(Item.barcode == barcode)
    item: Item | None = await session.scalar(query.with_for_update() if lock else query)
    if item is None:
        raise NotFound(NOT_YOURS)
    return item


async def pickup_request(session: AsyncSession, item: Item, acting: Acting) -> Request | None:
    """The item's active patron request picked up at ``acting``'s institution (locked)."""
    found: Request | None = await session.scalar(
        select(Request)
        .where(
            Request.item_id == item.id,
            Request.kind == RequestKind.PATRON.value,
            Request.status.in_(PATRON_ACTIVE),
            Request.pickup_institution == acting.institution,
        )
        .order_by(Request.id)
        .limit(1)
        .with_for_update()
    )
    return found


def same_library(request: Request, acting: Acting) -> None:
    """The step happens at the request's pickup library, not another library of C."""
    if request.pickup_library_code != acting.library_code:
        raise Conflict(
            f"The item is held for pickup at {request.pickup_library_name or 'another library'}",
            code=ErrorCode.PICKUP_NOT_ALLOWED,
        )


async def keyed(
    session: AsyncSession,
    *,
    operation: str,
    key: str,
    payload: dict[str, Any],
    step: Callable[[], Awaitable[dict[str, Any]]],
) -> OwnerStep:
    """Run ``step`` once per idempotency key; a retry gets the first answer."""
    result = await run_idempotent(
        session, key=key, operation=operation, payload=payload, action=step
    )
    return OwnerStep.from_dict(result)
