"""Borrowing requests once the partner ships: receive, the patron's loan (through the
ordinary desk), renewals within 42 days, the return to the partner, lost both ways.

The loan to the patron and the patron's return happen at a circulation desk like any
other; the circulation services tell this module (:func:`on_patron_loan`,
:func:`on_patron_return`). Same conventions: an ``Actor``, the row locked, no commit.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from network_common.errors import Conflict, ErrorCode, Forbidden, NotFound
from network_common.vocabulary import ItemStatus, LoanStatus

from ...domain import borrowing as table
from ...domain.borrowing import BorrowingEvent, BorrowingStatus
from ...domain.letters import Letter
from ...domain.requests import ACTIVE as ACTIVE_REQUEST
from ...domain.requests import RequestEvent
from ...store.models import BorrowingRequest, Desk, Item, Loan, Request
from ..fulfilment.terms import loan_terms
from ..requests import lifecycle
from ..requests.common import NextStepInfo
from . import common
from .borrowing_steps import for_change, move, patron_letter, remove_temporary_records, tell_partner
from .messages import MessageKind

E, S = BorrowingEvent, BorrowingStatus


async def partner_shipped(
    session: AsyncSession,
    *,
    actor: common.Actor,
    request_id: int,
    due_at: datetime | None,
    shipped_at: datetime | None = None,
    partner_item_id: str | None = None,
    partner_request_id: str | None = None,
    note: str | None = None,
) -> BorrowingRequest:
    """The partner loaned the item to us and shipped it. Said again, nothing changes."""
    request = await for_change(session, actor=actor, request_id=request_id)
    if partner_request_id and not request.partner_request_id:
        request.partner_request_id = partner_request_id[:128]
    if BorrowingStatus(request.status) not in (*table.ASKING, S.CANCEL_REQUESTED):
        return request
    move(session, request, E.PARTNER_SHIPPED, actor=actor, note=note)
    moment = common.now()
    request.shipped_at = shipped_at or moment
    request.first_due_at = request.due_at = due_at
    if partner_item_id:
        request.partner_item_id = partner_item_id[:128]
    await session.flush()
    return request


async def receive(
    session: AsyncSession,
    *,
    actor: common.Actor,
    request_id: int,
    desk_code: str,
    barcode: str | None = None,
    note: str | None = None,
) -> tuple[BorrowingRequest, NextStepInfo]:
    """The item arrived: (optionally) label it with a barcode, tell the partner, and let
    the hold take it: on the hold shelf here when this is the pickup library (the patron
    gets the On Hold Shelf letter), else in transit there. No commit."""
    request = await for_change(session, actor=actor, request_id=request_id)
    table.next_status(BorrowingStatus(request.status), E.RECEIVE)
    desk = await session.scalar(select(Desk).where(Desk.code == desk_code))
    if desk is None:
        raise NotFound(f"No desk {desk_code}")
    if actor.principal is not None and not common.staff_scope(actor.principal).covers(
        desk.library_id
    ):
        raise Forbidden(f"Your resource sharing roles do not cover desk {desk_code}")
    if request.temp_item_id is None:
        raise Conflict("The temporary item is gone", code=ErrorCode.ILLEGAL_TRANSITION)
    item = await session.scalar(
        select(Item).where(Item.id == request.temp_item_id).with_for_update()
    )
    assert item is not None
    if barcode and barcode != item.barcode:
        label = common.clean_text(barcode, field="barcode", limit=64)
        taken = await session.scalar(select(Item.id).where(Item.barcode == label))
        if taken is not None:
            raise Conflict(f"Barcode {label} is already used here")
        item.barcode = request.item_barcode = label  # type: ignore[assignment]
    item.status = ItemStatus.ON_SHELF.value
    item.transit_to_library_id = None
    item.version = (item.version or 1) + 1
    await session.flush()
    taken_by = await lifecycle.take_over_returned_item(
        session, item=item, at_library_id=desk.library_id
    )
    if taken_by is None:
        raise Conflict("The patron's hold on this item is gone", code=ErrorCode.ILLEGAL_TRANSITION)
    note = common.clean_text(note, field="note")
    move(session, request, E.RECEIVE, actor=actor, note=note)
    request.received_at = common.now()
    await tell_partner(session, request, MessageKind.RECEIVED, actor=actor, note=note)
    await session.flush()
    return request, taken_by


async def _for_temp_item(session: AsyncSession, item_id: int) -> BorrowingRequest | None:
    row: BorrowingRequest | None = await session.scalar(
        select(BorrowingRequest).where(BorrowingRequest.temp_item_id == item_id).with_for_update()
    )
    return row


async def on_patron_loan(session: AsyncSession, *, item: Item, loan: Loan) -> None:
    """A desk loaned a temporary item to its patron: LOANED_TO_PATRON, and the loan is due
    when the partner wants the item back. Not a temporary item: nothing."""
    request = await _for_temp_item(session, item.id)
    if request is None:
        return
    move(session, request, E.LOAN_TO_PATRON, actor=common.SYSTEM)
    request.loaned_at = loan.loaned_at
    if request.due_at is not None:
        _follow_due_date(loan, item, request.due_at)


async def on_patron_return(session: AsyncSession, *, item: Item, loan: Loan) -> None:
    """A desk checked a temporary item in: RETURNED_BY_PATRON (it goes back to the partner
    from the resource sharing library). Not a temporary item: nothing."""
    request = await _for_temp_item(session, item.id)
    if request is None:
        return
    status = BorrowingStatus(request.status)
    if (status, E.RETURN_BY_PATRON) not in table.TRANSITIONS:
        return  # e.g. returned again after the request closed: the desk's return stands
    move(session, request, E.RETURN_BY_PATRON, actor=common.SYSTEM)
    request.returned_at = loan.returned_at


async def request_renewal(
    session: AsyncSession, *, actor: common.Actor, request_id: int, note: str | None = None
) -> BorrowingRequest:
    """Ask the partner for one more loan period; refused at once (RENEWAL_REJECTED, nothing
    sent) when it would take the loan past 42 days from the partner's loan. No commit."""
    request = await for_change(session, actor=actor, request_id=request_id)
    table.next_status(BorrowingStatus(request.status), E.REQUEST_RENEWAL)
    note = common.clean_text(note, field="note")
    if request.shipped_at is None or request.due_at is None:
        raise Conflict("The partner gave no due date to renew", code=ErrorCode.ILLEGAL_TRANSITION)
    wanted = table.wanted_due_date(
        loan_started=request.shipped_at,
        first_due=request.first_due_at or request.due_at,
        current_due=request.due_at,
    )
    if not table.renewal_allowed(loan_started=request.shipped_at, wanted_due=wanted):
        move(
            session,
            request,
            E.AUTO_REJECT_RENEWAL,
            actor=common.SYSTEM,
            note=f"Rejected automatically: renewals may not pass {table.MAX_LOAN_DAYS} days",
        )
        await session.flush()
        return request
    move(session, request, E.REQUEST_RENEWAL, actor=actor, note=note)
    request.renewal_wanted_due = wanted
    text = f"Renewal requested until {wanted:%Y-%m-%d}"
    await tell_partner(
        session, request, MessageKind.RENEW, actor=actor, note=f"{text}. {note}" if note else text
    )
    await session.flush()
    return request


async def partner_renewal_answer(
    session: AsyncSession,
    *,
    actor: common.Actor,
    request_id: int,
    approved: bool,
    due_at: datetime | None = None,
    note: str | None = None,
) -> BorrowingRequest:
    """The partner renewed (the patron's loan follows the new due date) or refused. Said
    again, nothing changes. No commit."""
    request = await for_change(session, actor=actor, request_id=request_id)
    if request.status != S.RENEW_REQUESTED.value:
        return request
    if not approved:
        move(session, request, E.PARTNER_RENEWAL_REJECTED, actor=actor, note=note)
    else:
        move(session, request, E.PARTNER_RENEWED, actor=actor, note=note)
        new_due = due_at or request.renewal_wanted_due
        if new_due is not None:
            request.due_at = new_due
            loan = await _patron_loan(session, request)
            if loan is not None:
                item = await session.get_one(Item, loan.item_id)
                _follow_due_date(loan, item, new_due)
                loan.renewals += 1
                loan.version = (loan.version or 1) + 1
        request.renewals += 1
    request.renewal_wanted_due = None
    await session.flush()
    return request


def _follow_due_date(loan: Loan, item: Item, due_at: datetime) -> None:
    """The patron's loan is due when the lender wants the item back (its lost date, if its
    terms have one, moves with it)."""
    loan.due_at = due_at
    if loan.terms:
        loan.lost_at = loan_terms(loan, item).lost_at(due_at)


async def _patron_loan(session: AsyncSession, request: BorrowingRequest) -> Loan | None:
    if request.temp_item_id is None:
        return None
    row: Loan | None = await session.scalar(
        select(Loan)
        .where(Loan.item_id == request.temp_item_id, Loan.status == LoanStatus.ACTIVE.value)
        .with_for_update()
    )
    return row


async def return_to_partner(
    session: AsyncSession, *, actor: common.Actor, request_id: int, note: str | None = None
) -> BorrowingRequest:
    """Ship the item back to the partner: it is told, and the temporary records go (the
    item is not ours to keep track of any more). No commit."""
    request = await for_change(session, actor=actor, request_id=request_id)
    status = BorrowingStatus(request.status)
    table.next_status(status, E.SHIP_RETURN)
    if status is S.RECEIVED and request.hold_request_id is not None:
        # Never picked up: the hold ends (the patron is told, as for any cancellation).
        await _end_hold(session, request, reason="Not collected: returned to the lender")
    note = common.clean_text(note, field="note")
    move(session, request, E.SHIP_RETURN, actor=actor, note=note)
    await tell_partner(session, request, MessageKind.SHIPPED_RETURN, actor=actor, note=note)
    await remove_temporary_records(session, request)
    await session.flush()
    return request


async def _end_hold(session: AsyncSession, request: BorrowingRequest, *, reason: str) -> None:
    assert request.hold_request_id is not None
    hold = await session.get(Request, request.hold_request_id)
    if hold is not None and hold.status in {s.value for s in ACTIVE_REQUEST}:
        await lifecycle.close_request(
            session, request_id=hold.id, event=RequestEvent.CANCEL, reason=reason, by="STAFF"
        )


async def partner_checked_in(
    session: AsyncSession, *, actor: common.Actor, request_id: int, note: str | None = None
) -> BorrowingRequest:
    """The partner has the item back (loan completed): COMPLETED. Said again, nothing
    changes. No commit."""
    request = await for_change(session, actor=actor, request_id=request_id)
    if BorrowingStatus(request.status) in table.CLOSED:
        return request
    move(session, request, E.PARTNER_CHECKED_IN, actor=actor, note=note)
    if request.temp_item_id is not None:
        await remove_temporary_records(session, request)
    await session.flush()
    return request


async def report_lost(
    session: AsyncSession, *, actor: common.Actor, request_id: int, note: str | None = None
) -> BorrowingRequest:
    """Tell the partner the item is lost here (seed 003: "reported lost item to partner");
    it declares it lost and names its fee. No commit."""
    request = await for_change(session, actor=actor, request_id=request_id)
    note = common.clean_text(note, field="note")
    move(session, request, E.REPORT_LOST, actor=actor, note=note)
    await tell_partner(
        session, request, MessageKind.REPORT_LOST, actor=actor, note=note or "The item is lost"
    )
    await session.flush()
    return request


async def partner_declared_lost(
    session: AsyncSession,
    *,
    actor: common.Actor,
    request_id: int,
    fee_minor: int | None = None,
    currency: str | None = None,
    note: str | None = None,
) -> BorrowingRequest:
    """The partner declared the item lost (and what it charges): DECLARED_LOST_BY_PARTNER,
    kept as an active note for staff. Said again, nothing changes. No commit."""
    request = await for_change(session, actor=actor, request_id=request_id)
    if request.status == S.DECLARED_LOST_BY_PARTNER.value:
        return request
    move(session, request, E.PARTNER_DECLARED_LOST, actor=actor, note=note)
    if fee_minor is not None and currency:
        request.lost_fee_minor, request.lost_fee_currency = fee_minor, currency[:3].upper()
    request.active_notes = (request.active_notes or 0) + 1
    common.history(
        session,
        category=common.HistoryCategory.MESSAGE_IN,
        kind="DECLARED_LOST",
        actor=actor,
        borrowing_id=request.id,
        note=note,
        active=True,
    )
    await session.flush()
    return request


async def complete(
    session: AsyncSession, *, actor: common.Actor, request_id: int, note: str | None = None
) -> BorrowingRequest:
    """Close a lost request once settled with the partner; the temporary records go. The
    patron's fee (charged at the desk) stays. No commit."""
    request = await for_change(session, actor=actor, request_id=request_id)
    note = common.clean_text(note, field="note")
    move(session, request, E.COMPLETE, actor=actor, note=note)
    if request.temp_item_id is not None:
        await remove_temporary_records(session, request)
    await session.flush()
    return request


async def partner_overdue(
    session: AsyncSession, *, actor: common.Actor, request_id: int, note: str | None = None
) -> BorrowingRequest:
    """The partner says the item is overdue: the patron gets the Overdue Notice (once)."""
    request = await for_change(session, actor=actor, request_id=request_id)
    if not request.overdue and BorrowingStatus(request.status) not in table.CLOSED:
        request.overdue = True
        await patron_letter(
            session,
            request,
            Letter.OVERDUE_NOTICE,
            subject=f"Overdue: {request.title}",
            body=(
                f"{request.title} (borrowed from another library) is overdue. Please return "
                "it as soon as possible."
            ),
        )
        _note_in(session, request, actor, "OVERDUE", note)
    await session.flush()
    return request


async def partner_recalled(
    session: AsyncSession, *, actor: common.Actor, request_id: int, note: str | None = None
) -> BorrowingRequest:
    """The partner recalls the item: the patron is asked to bring it back (once)."""
    request = await for_change(session, actor=actor, request_id=request_id)
    if not request.recalled and BorrowingStatus(request.status) not in table.CLOSED:
        request.recalled = True
        await patron_letter(
            session,
            request,
            Letter.LOAN_STATUS_NOTICE,
            subject=f"Recalled: {request.title}",
            body=(
                f"The library that lent {request.title} needs it back. Please return it "
                "as soon as possible."
            ),
        )
        _note_in(session, request, actor, "RECALLED", note)
    await session.flush()
    return request


def _note_in(
    session: AsyncSession,
    request: BorrowingRequest,
    actor: common.Actor,
    kind: str,
    note: str | None,
) -> None:
    request.active_notes = (request.active_notes or 0) + 1
    common.history(
        session,
        category=common.HistoryCategory.MESSAGE_IN,
        kind=kind,
        actor=actor,
        borrowing_id=request.id,
        note=note,
        active=True,
    )
