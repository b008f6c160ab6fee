"""Loans and returns of the owner's item at another member's desk (DOMAIN §6.5, §6.6)."""

from __future__ import annotations

from dataclasses import asdict
from typing import Any

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from ...domain.circulation import BlockFacts, ItemFacts, PatronRoleFacts, check_loan, due_date
from ...domain.errors import Conflict, ErrorCode, Forbidden, Ineligible, NotFound
from ...domain.letters import Letter
from ...domain.requests import RequestStatus
from ...domain.vocabulary import ItemStatus, LoanStatus
from ...store.models import BibRecord, Block, Item, Loan, PatronRole
from .. import requests as request_service
from ..institution import get_institution
from . import lookup
from .letters import send_member_letter
from .requests import linked_user
from .steps import Acting, OwnerStep, build_step, home_destination

S = RequestStatus


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
        item = await lookup.item_row(session, barcode, lock=True)
        request = await lookup.pickup_request(session, item, acting)
        if request is None or request.status != S.ON_HOLD_SHELF.value:
            raise NotFound("No such item on your hold shelf")
        lookup.same_library(request, acting)
        user = await linked_user(session, home=home, home_user_id=home_user_id)
        if user is None or user.id != request.user_id:
            raise Ineligible(
                "The item is on the hold shelf for another patron",
                code=ErrorCode.ITEM_NOT_AVAILABLE,
            )
        roles, blocks = await _eligibility(session, user.id)
        moment = lookup.now()
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

    return await lookup.keyed(
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
        item = await lookup.item_row(session, barcode, lock=True)
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
        moment = lookup.now()
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

    return await lookup.keyed(
        session,
        operation="returnForMember",
        key=idempotency_key,
        payload={"acting": asdict(acting), "barcode": barcode},
        step=action,
    )
