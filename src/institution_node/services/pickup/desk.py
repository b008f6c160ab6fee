"""The owner's item at the pickup member's desk: scan it in for the hold shelf, look it up.
(Loans and returns there: ``circulation.py``.)

Each function answers only for the one item and only to the member that may act on it:
the request's pickup institution (receive, loan, look up), the member where it was loaned
or any member when ``return_anywhere`` is on (return). Anything else — another member's
request, an item not travelling to the caller, an unknown barcode — is the same NOT_FOUND
(RETURN_NOT_ALLOWED for returns), so C learns nothing else of the owner's.
"""

from __future__ import annotations

from dataclasses import asdict
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from network_common.errors import Conflict, ErrorCode, NotFound
from network_common.vocabulary import ItemStatus, LoanStatus, RequestStatus

from ...domain.requests import RequestEvent, RequestKind
from ...store.models import Item, Loan, Request
from ..requests import lifecycle as request_service
from . import lookup
from .steps import Acting, OwnerStep, build_step, home_destination

S, E = RequestStatus, RequestEvent


async def receive_for_pickup(
    session: AsyncSession, *, acting: Acting, barcode: str, idempotency_key: str
) -> OwnerStep:
    """The pickup member scanned the item in: the request goes on its hold shelf (patron
    told); an item whose request ended meanwhile is named as going home."""

    async def action() -> dict[str, Any]:
        item = await lookup.item_row(session, barcode, lock=True)
        request = await lookup.pickup_request(session, item, acting)
        if request is None:
            return (await _going_home(session, item, acting)).to_dict()
        lookup.same_library(request, acting)
        status = RequestStatus(request.status)
        if status is S.PICK_FROM_SHELF:
            raise Conflict(
                "The owner has not sent this item yet", code=ErrorCode.ILLEGAL_TRANSITION
            )
        if status is S.IN_TRANSIT:
            request = await request_service.receive_at_remote_pickup(
                session, request_id=request.id, at_institution=acting.institution
            )
        return (
            await build_step(session, item=item, request=request, next_step="HOLD_SHELF")
        ).to_dict()

    return await lookup.keyed(
        session,
        operation="receiveForPickup",
        key=idempotency_key,
        payload={"acting": asdict(acting), "barcode": barcode},
        step=action,
    )


async def _going_home(session: AsyncSession, item: Item, acting: Acting) -> OwnerStep:
    """A cancelled or expired request for pickup at ``acting``: the item in its hands goes
    home. Any other item is not the acting member's business."""
    last = await session.scalar(
        select(Request)
        .where(
            Request.item_id == item.id,
            Request.kind == RequestKind.PATRON.value,
            Request.pickup_institution == acting.institution,
        )
        .order_by(Request.id.desc())
        .limit(1)
    )
    travelling_home = (
        item.status == ItemStatus.IN_TRANSIT.value
        and item.transit_to_institution is None
        and item.transit_to_library_id == item.library_id
    )
    if last is None or last.status != S.CANCELLED.value or not travelling_home:
        raise NotFound(lookup.NOT_YOURS)
    return await build_step(
        session, item=item, request=last, **await home_destination(session, item)
    )


async def item_for_member(session: AsyncSession, *, acting: Acting, barcode: str) -> OwnerStep:
    """What the pickup member may see of our item: the request it holds or travels for
    there, or the loan made there; nothing else."""
    item = await lookup.item_row(session, barcode, lock=False)
    loan = await session.scalar(
        select(Loan).where(
            Loan.item_id == item.id,
            Loan.status == LoanStatus.ACTIVE.value,
            Loan.loan_institution == acting.institution,
        )
    )
    if loan is not None:
        return await build_step(session, item=item, loan=loan)
    request = await session.scalar(
        select(Request).where(
            Request.item_id == item.id,
            Request.kind == RequestKind.PATRON.value,
            Request.status.in_((S.IN_TRANSIT.value, S.ON_HOLD_SHELF.value)),
            Request.pickup_institution == acting.institution,
        )
    )
    if request is None:
        raise NotFound(lookup.NOT_YOURS)
    return await build_step(session, item=item, request=request)
