"""Finding what a broker's message names: our item, the broker's lending request.

A request is named by the broker's own id (``RequestId`` as it sent it in RequestItem) or
by ours (``<institution>-L<n>``, as our messages name it); without a request id, by the
item: the broker's newest lending request for that copy. Anything that is not the
broker's own (another partner's request) is not found, like a missing id.
"""

from __future__ import annotations

from collections.abc import Iterable

from sqlalchemy import or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from ..domain.lending import LendingStatus
from ..services.resource_sharing import common, lending
from ..services.resource_sharing.lending import PartnerAsk
from ..services.resource_sharing.messages import Bibliographic
from ..store.models import BibRecord, BorrowingRequest, Item, LendingRequest, Partner
from .messages import CheckOutItem, Ident, RequestItem
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


async def borrowed(
    session: AsyncSession, *, partner_id: int, item: Ident, request: Ident | None = None
) -> BorrowingRequest | None:
    """The broker's borrowing request (made by its AcceptItem) that a later message names:
    by the broker's request id when one is given; else by the item, our temporary copy (its
    barcode, which the request keeps once the copy is gone) or the lender's item id as
    AcceptItem gave it. A copy of our own collection names none: it is the lending side's."""
    mine = BorrowingRequest.partner_id == partner_id
    if request is not None:
        return await session.scalar(
            select(BorrowingRequest).where(
                mine, BorrowingRequest.partner_request_id == request.value
            )
        )
    copy = await session.scalar(select(Item.id).where(Item.barcode == item.value))
    if copy is not None:
        return await session.scalar(
            select(BorrowingRequest).where(mine, BorrowingRequest.temp_item_id == copy)
        )
    return await session.scalar(
        select(BorrowingRequest)
        .where(
            mine,
            or_(
                BorrowingRequest.item_barcode == item.value,
                BorrowingRequest.partner_item_id == item.value,
            ),
        )
        .order_by(BorrowingRequest.id.desc())
        .limit(1)
    )


def unknown_request(ident: Ident | None) -> NcipProblem:
    return NcipProblem(
        ProblemType.UNKNOWN_REQUEST,
        "No request of this agency answers to that identifier",
        element="RequestId/RequestIdentifierValue" if ident else "ItemId/ItemIdentifierValue",
        value=ident.value if ident else None,
    )


async def wanted(session: AsyncSession, m: RequestItem) -> tuple[Item | None, BibRecord]:
    """The copy (item-level) or record (title-level) a RequestItem names."""
    for ident in m.item_ids:
        item = await session.scalar(select(Item).where(Item.barcode == ident.value))
        if item is not None:
            return item, await session.get_one(BibRecord, item.bib_id)
    if m.bib_ids:
        bib = await session.scalar(
            select(BibRecord)
            .where(BibRecord.network_record_id.in_(m.bib_ids), BibRecord.suppressed.is_(False))
            .limit(1)
        )
        if bib is not None:
            return None, bib
    first = m.item_ids[0].value if m.item_ids else m.bib_ids[0]
    raise NcipProblem(
        ProblemType.UNKNOWN_ITEM,
        "No item or record of this library answers to that identifier",
        element="ItemId/ItemIdentifierValue" if m.item_ids else "BibliographicId",
        value=first,
    )


async def receive_for(
    session: AsyncSession, partner: Partner, m: CheckOutItem, item: Item
) -> LendingRequest:
    """A CheckOutItem without a request we know: the lending request is made now."""
    bib = await session.get_one(BibRecord, item.bib_id)
    their_id = (
        m.request_id.value
        if m.request_id
        else f"NCIP-{item.barcode}-{common.now():%Y%m%dT%H%M%S%f}"
    )[:128]
    request, _ = await lending.receive_request(
        session,
        partner=partner,
        ask=PartnerAsk(
            partner_request_id=their_id,
            bibliographic=Bibliographic(
                title=bib.title, author=bib.author, record_id=bib.network_record_id
            ),
            patron_reference=m.user.ident.value,
        ),
    )
    return request


async def barcode_of(session: AsyncSession, item_id: int | None) -> str | None:
    if item_id is None:
        return None
    barcode: str | None = await session.scalar(select(Item.barcode).where(Item.id == item_id))
    return barcode
