"""Finding what a broker's message names: our item, the broker's lending request.

A request is named by the broker's own id (``RequestId`` as it sent it in RequestItem) or
by ours (``<institution>-L<n>``, as our messages name it); without a request id, by the
item: the broker's newest lending request for that copy. Anything that is not the
broker's own (another partner's request) is not found, like a missing id.
"""

from __future__ import annotations

from collections.abc import Iterable

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from ..domain.lending import LendingStatus
from ..store.models import Item, LendingRequest
from .messages import Ident
from .problems import NcipProblem, ProblemType


async def item_by_id(session: AsyncSession, ident: Ident, *, element: str = "ItemId") -> Item:
    """Our copy with that barcode, or Unknown Item."""
    item: Item | None = await session.scalar(select(Item).where(Item.barcode == ident.value))
    if item is None:
        raise NcipProblem(
            ProblemType.UNKNOWN_ITEM,
            "No item of this library answers to that identifier",
            element=f"{element}/ItemIdentifierValue",
            value=ident.value,
        )
    return item


def _own_id(value: str, own_code: str) -> int | None:
    prefix = f"{own_code}-L"
    if value.startswith(prefix) and value[len(prefix) :].isdigit():
        return int(value[len(prefix) :])
    return None


async def by_request_id(
    session: AsyncSession, *, partner_id: int, ident: Ident, own_code: str
) -> LendingRequest | None:
    """The broker's lending request its id (or ours) names."""
    row: LendingRequest | None = await session.scalar(
        select(LendingRequest).where(
            LendingRequest.partner_id == partner_id,
            LendingRequest.partner_request_id == ident.value,
        )
    )
    if row is None and (ours := _own_id(ident.value, own_code)) is not None:
        row = await session.scalar(
            select(LendingRequest).where(
                LendingRequest.id == ours, LendingRequest.partner_id == partner_id
            )
        )
    return row


async def by_item(
    session: AsyncSession,
    *,
    partner_id: int,
    item_id: int,
    statuses: Iterable[LendingStatus] | None = None,
) -> LendingRequest | None:
    """The broker's newest lending request for this copy (in one of ``statuses``)."""
    query = select(LendingRequest).where(
        LendingRequest.partner_id == partner_id, LendingRequest.item_id == item_id
    )
    if statuses is not None:
        query = query.where(LendingRequest.status.in_([s.value for s in statuses]))
    row: LendingRequest | None = await session.scalar(
        query.order_by(LendingRequest.id.desc()).limit(1)
    )
    return row


def unknown_request(ident: Ident | None) -> NcipProblem:
    return NcipProblem(
        ProblemType.UNKNOWN_REQUEST,
        "No request of this agency answers to that identifier",
        element="RequestId/RequestIdentifierValue" if ident else "ItemId/ItemIdentifierValue",
        value=ident.value if ident else None,
    )
