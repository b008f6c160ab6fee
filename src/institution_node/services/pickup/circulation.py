"""Loans and returns of the owner's item at another member's desk (DOMAIN §6.5, §6.6)."""

from __future__ import annotations

from dataclasses import asdict
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from network_common.errors import Conflict, ErrorCode, Forbidden, Ineligible, NotFound
from network_common.vocabulary import LoanStatus, RequestStatus

from ...domain.letters import Letter
from ...store.models import Item
from ..circulation import loans as circulation
from ..fulfilment import lost
from ..institution import get_institution
from ..network import linked_accounts
from ..network.linked_accounts import HomeRecord
from ..requests import lifecycle as request_service
from . import lookup
from .letters import send_member_letter
from .requests import linked_user
from .steps import Acting, OwnerStep, build_step, home_destination

S = RequestStatus


async def loan_for_pickup(
    session: AsyncSession,
    *,
    acting: Acting,
    barcode: str,
    home: str,
    home_user_id: str,
    idempotency_key: str,
    home_record: HomeRecord | None = None,
) -> OwnerStep:
    """Loan the held item to its patron at the pickup member's desk: the loan is ours (our
    loan period, renewals, fees), its desk and library are the pickup member's. The
    ``home_record`` the hub read from the patron's home refreshes the linked account (the
    patron uses the network here, DOMAIN §3) before the terms are matched on it."""

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
        if (
            home_record is not None
            and user.is_linked
            and (home_record.home_institution, home_record.home_user_id) == (home, home_user_id)
        ):
            await linked_accounts.refresh_in_session(session, user=user, patron=home_record)
        moment = lookup.now()
        # The owner's terms of use apply wherever the loan is made (DOMAIN §2, §6.5).
        terms = await circulation.check_eligibility(
            session, item=item, patron_id=user.id, today=moment.date(), held_for_patron=True
        )
        loan = await circulation.open_loan(
            session,
            item=item,
            patron_id=user.id,
            moment=moment,
            terms=terms,
            loan_institution=acting.institution,
            loan_location_label=acting.library_name,
            loan_desk_code=acting.desk_code,
            loan_library_code=acting.library_code,
        )
        title = await circulation.item_title(session, item)
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


async def return_for_member(
    session: AsyncSession, *, acting: Acting, barcode: str, idempotency_key: str
) -> OwnerStep:
    """Check our item in at another member's desk: the loan ends, the item travels home."""

    async def action() -> dict[str, Any]:
        institution = await get_institution(session)
        found = await session.scalar(select(Item).where(Item.barcode == barcode).with_for_update())
        loan = await circulation.open_loan_of(session, found) if found is not None else None
        loaned_there = loan is not None and loan.loan_institution == acting.institution
        if not (institution.return_anywhere or loaned_there):
            # The same refusal for an unknown barcode: the member learns nothing of ours.
            raise Forbidden(
                f"{institution.name} items are returned at {institution.name} or where they "
                "were loaned",
                code=ErrorCode.RETURN_NOT_ALLOWED,
            )
        item = found if found is not None else await lookup.item_row(session, barcode, lock=True)
        if loan is None:
            raise Conflict(f"Item {barcode} is not on loan", code=ErrorCode.ITEM_NOT_ON_LOAN)
        moment = lookup.now()
        await lost.settle_on_return(session, loan=loan, item=item, moment=moment)
        loan.status = LoanStatus.RETURNED.value
        loan.returned_at = moment
        loan.return_institution = acting.institution
        loan.return_desk_code = acting.desk_code
        loan.return_library_code = acting.library_code
        loan.version = (loan.version or 1) + 1
        item.version = (item.version or 1) + 1
        await session.flush()
        # Home first: our own scan-in there hands it to the next request in the queue.
        await request_service.send_home(session, item=item, leaving_from=None, now=moment)
        title = await circulation.item_title(session, item)
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
