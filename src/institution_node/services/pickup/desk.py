"""The owner's item at another member's desk: receive for pickup, loan, return anywhere.

Each function answers only for the one item and only to the member that may act on it:
the request's pickup institution (receive, loan, look up), the member where it was loaned
or any member when ``return_anywhere`` is on (return). Anything else — another member's
request, an item not travelling to the caller, an unknown barcode — is the same NOT_FOUND
(RETURN_NOT_ALLOWED for returns), so C learns nothing else of the owner's.
"""

from __future__ import annotations

from dataclasses import asdict
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from ...domain.circulation import BlockFacts, ItemFacts, PatronRoleFacts, check_loan, due_date
from ...domain.errors import Conflict, ErrorCode, Forbidden, Ineligible, NotFound
from ...domain.letters import Letter
from ...domain.requests import RequestEvent, RequestKind, RequestStatus
from ...domain.vocabulary import ItemStatus, LoanStatus
from ...store.models import BibRecord, Block, Item, Loan, PatronRole, Request
from .. import request_common as common
from .. import requests as request_service
from ..idempotency import run_idempotent
from ..institution import get_institution
from .letters import send_member_letter
from .requests import linked_user
from .steps import Acting, OwnerStep, build_step, home_destination

S, E = RequestStatus, RequestEvent
_NOT_YOURS = "No such item on its way to, or held at, your institution"
_PATRON_ACTIVE = (S.PICK_FROM_SHELF.value, S.IN_TRANSIT.value, S.ON_HOLD_SHELF.value)


def _now() -> datetime:
    return datetime.now(UTC)


async def _item(session: AsyncSession, barcode: str, *, lock: bool) -> Item:
    query = select(Item).where(Item.barcode == barcode)
    item: Item | None = await session.scalar(query.with_for_update() if lock else query)
    if item is None:
        raise NotFound(_NOT_YOURS)
    return item


async def _request_for(session: AsyncSession, item: Item, acting: Acting) -> Request | None:
    """The item's active patron request picked up at ``acting``'s institution (locked)."""
    found: Request | None = await session.scalar(
        select(Request)
        .where(
            Request.item_id == item.id,
            Request.kind == RequestKind.PATRON.value,
            Request.status.in_(_PATRON_ACTIVE),
            Request.pickup_institution == acting.institution,
        )
        .order_by(Request.id)
        .limit(1)
        .with_for_update()
    )
    return found


def _same_library(request: Request, acting: Acting) -> None:
    if request.pickup_library_code != acting.library_code:
        raise Conflict(
            f"The item is held for pickup at {request.pickup_library_name or 'another library'}",
            code=ErrorCode.PICKUP_NOT_ALLOWED,
        )


async def _keyed(
    session: AsyncSession,
    *,
    operation: str,
    key: str,
    payload: dict[str, Any],
    step: Any,
) -> OwnerStep:
    result = await run_idempotent(
        session, key=key, operation=operation, payload=payload, action=step
    )
    return OwnerStep.from_dict(result)


async def receive_for_pickup(
    session: AsyncSession, *, acting: Acting, barcode: str, idempotency_key: str
) -> OwnerStep:
    """The pickup member scanned the item in: the request goes on its hold shelf (patron
    told); an item whose request ended meanwhile is named as going home."""

    async def action() -> dict[str, Any]:
        item = await _item(session, barcode, lock=True)
        request = await _request_for(session, item, acting)
        if request is None:
            return (await _going_home(session, item, acting)).to_dict()
        _same_library(request, acting)
        status = RequestStatus(request.status)
        if status is S.PICK_FROM_SHELF:
            raise Conflict(
                "The owner has not sent this item yet", code=ErrorCode.ILLEGAL_TRANSITION
            )
        if status is S.IN_TRANSIT:
            common.apply(request, E.RECEIVE_AT_PICKUP, now=_now())
            await request_service.shelve_and_notify(session, request=request, item=item, now=_now())
            await session.flush()
        return (
            await build_step(session, item=item, request=request, next_step="HOLD_SHELF")
        ).to_dict()

    return await _keyed(
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
        raise NotFound(_NOT_YOURS)
    return await build_step(
        session, item=item, request=last, **await home_destination(session, item)
    )


async def _eligibility(
    session: AsyncSession, user_id: int
) -> tuple[list[PatronRoleFacts], list[BlockFacts]]:
    roles = await session.scalars(select(PatronRole).where(PatronRole.user_id == user_id))
    blocks = await session.scalars(select(Block).where(Block.user_id == user_id))
    return (
        [PatronRoleFacts(library_id=r.library_id, expiry=r.expiry_date) for r in roles],
        [BlockFacts(b.owner_library_id, b.expiry_date, b.description) for b in blocks],
    )


async def loan_for_pickup(
    session: AsyncSession,
    *,
    acting: Acting,
    barcode: str,
    home: str,
    home_user_id: str,
    idempotency_key: str,
) -> OwnerStep:
    """Loan the held item to its patron at the pickup member's desk: the loan is ours (our
    loan period, renewals, fees), its desk and library are the pickup member's."""

    async def action() -> dict[str, Any]:
        item = await _item(session, barcode, lock=True)
        request = await _request_for(session, item, acting)
        if request is None or request.status != S.ON_HOLD_SHELF.value:
            raise NotFound("No such item on your hold shelf")
        _same_library(request, acting)
        user = await linked_user(session, home=home, home_user_id=home_user_id)
        if user is None or user.id != request.user_id:
            raise Ineligible(
                "The item is on the hold shelf for another patron",
                code=ErrorCode.ITEM_NOT_AVAILABLE,
            )
        roles, blocks = await _eligibility(session, user.id)
        moment = _now()
        check_loan(
            item=ItemFacts(
                library_id=item.library_id,
                loanable=item.loanable,
                status=ItemStatus(item.status),
                loan_period_days=item.loan_period_days,
                renewals_allowed=item.renewals_allowed,
            ),
            roles=roles,
            blocks=blocks,
            today=moment.date(),
            held_for_patron=True,
        )
        loan = Loan(
            item_id=item.id,
            user_id=user.id,
            owning_library_id=item.library_id,
            loan_institution=acting.institution,
            loan_location_label=acting.library_name,
            loaned_at=moment,
            due_at=due_date(moment, item.loan_period_days),
            renewals=0,
            status=LoanStatus.ACTIVE.value,
            version=1,
        )
        session.add(loan)
        item.status = ItemStatus.ON_LOAN.value
        item.transit_to_library_id = None
        item.transit_to_institution = None
        item.version = (item.version or 1) + 1
        try:
            await session.flush()
        except IntegrityError as exc:
            raise Conflict("The item is already on loan", code=ErrorCode.ITEM_ON_LOAN) from exc
        await request_service.complete_on_loan(session, item=item, patron_id=user.id, loan=loan)
        title = await _title(session, item)
        await send_member_letter(
            session,
            user_id=user.id,
            letter=Letter.LOAN_RECEIPT,
            sender=acting,
            subject=f"Loan receipt: {title}",
            body=f"{title} (barcode {item.barcode}) is due back on {loan.due_at:%Y-%m-%d}.",
        )
        return (await build_step(session, item=item, request=request, loan=loan)).to_dict()

    return await _keyed(
        session,
        operation="loanForPickup",
        key=idempotency_key,
        payload={"acting": asdict(acting), "barcode": barcode, "patron": [home, home_user_id]},
        step=action,
    )


async def _title(session: AsyncSession, item: Item) -> str:
    return await session.scalar(select(BibRecord.title).where(BibRecord.id == item.bib_id)) or ""


async def return_for_member(
    session: AsyncSession, *, acting: Acting, barcode: str, idempotency_key: str
) -> OwnerStep:
    """Check our item in at another member's desk: the loan ends, the item travels home."""

    async def action() -> dict[str, Any]:
        institution = await get_institution(session)
        item = await _item(session, barcode, lock=True)
        loan = await session.scalar(
            select(Loan)
            .where(Loan.item_id == item.id, Loan.status == LoanStatus.ACTIVE.value)
            .with_for_update()
        )
        loaned_there = loan is not None and loan.loan_institution == acting.institution
        if not (institution.return_anywhere or loaned_there):
            raise Forbidden(
                f"{institution.name} items are returned at {institution.name} or where they "
                "were loaned",
                code=ErrorCode.RETURN_NOT_ALLOWED,
            )
        if loan is None:
            raise Conflict(f"Item {barcode} is not on loan", code=ErrorCode.ITEM_NOT_ON_LOAN)
        moment = _now()
        loan.status = LoanStatus.RETURNED.value
        loan.returned_at = moment
        loan.return_institution = acting.institution
        loan.version = (loan.version or 1) + 1
        item.version = (item.version or 1) + 1
        await session.flush()
        # Home first: our own scan-in there hands it to the next request in the queue.
        await request_service.send_home(session, item=item, leaving_from=None, now=moment)
        title = await _title(session, item)
        await send_member_letter(
            session,
            user_id=loan.user_id,
            letter=Letter.RETURN_RECEIPT,
            sender=acting,
            subject=f"Return receipt: {title}",
            body=f"{title} (barcode {item.barcode}) was returned on {moment:%Y-%m-%d}.",
        )
        step = await build_step(
            session, item=item, loan=loan, **await home_destination(session, item)
        )
        return step.to_dict()

    return await _keyed(
        session,
        operation="returnForMember",
        key=idempotency_key,
        payload={"acting": asdict(acting), "barcode": barcode},
        step=action,
    )


async def item_for_member(session: AsyncSession, *, acting: Acting, barcode: str) -> OwnerStep:
    """What the pickup member may see of our item: the request it holds or travels for
    there, or the loan made there; nothing else."""
    item = await _item(session, barcode, lock=False)
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
        raise NotFound(_NOT_YOURS)
    return await build_step(session, item=item, request=request)
