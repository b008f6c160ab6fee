"""Lending requests once the item leaves: ship (a loan to the partner's institution),
renewals, the return, check in, lost and its fee, recall, overdue notices.

Same conventions as ``lending.py``: an ``Actor``, the row locked, no commit.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from network_common.errors import Conflict, ErrorCode, Forbidden, InvalidInput, NotFound
from network_common.vocabulary import FeeType, ItemStatus, LoanStatus, NextStep, RequestStatus

from ...domain import lending as table
from ...domain.lending import LendingEvent, LendingStatus
from ...domain.money import from_minor, parse_amount, to_minor
from ...domain.partners import PartnerProtocol
from ...domain.requests import RequestEvent
from ...domain.vocabulary import FeeStatus
from ...store.models import Desk, Fee, Item, LendingRequest, Loan, Partner, Request
from .. import fees
from ..circulation.loans import check_eligibility, open_loan
from ..fulfilment import fines, lost
from ..fulfilment.terms import loan_terms
from ..requests import common as requests_common
from ..requests import lifecycle
from . import common, partners
from .lending import MOVE_COMPLETED, release_move_request
from .lending_steps import add_alert, for_change, move, tell_partner
from .messages import MessageKind

E, S = LendingEvent, LendingStatus


async def _desk(session: AsyncSession, actor: common.Actor, desk_code: str | None) -> Desk | None:
    """The desk a staff step is taken at (in the operator's resource sharing scope)."""
    if desk_code is None:
        return None
    desk = await session.scalar(select(Desk).where(Desk.code == desk_code))
    if desk is None:
        raise NotFound(f"No desk {desk_code}")
    if actor.principal is not None and not common.staff_scope(actor.principal).covers(
        desk.library_id
    ):
        raise Forbidden(f"Your resource sharing roles do not cover desk {desk_code}")
    return desk


async def ship(
    session: AsyncSession,
    *,
    actor: common.Actor,
    request_id: int,
    desk_code: str | None = None,
    barcode: str | None = None,
    due_at: datetime | None = None,
    note: str | None = None,
) -> LendingRequest:
    """Ship the item: loan it to the partner's institution (the partner's patron record)
    with a due date (ours by the loan rules, or the one given), and tell the partner.
    The item is the one chosen at will supply (waiting at the shipping desk), or the
    barcode given. No commit."""
    request = await for_change(session, actor=actor, request_id=request_id)
    table.next_status(LendingStatus(request.status), E.SHIP)
    desk = await _desk(session, actor, desk_code)
    if barcode is None and request.item_id is None:
        raise InvalidInput("Scan the barcode of the item to ship")
    item_id = request.item_id
    if barcode is not None:
        item_id = await session.scalar(select(Item.id).where(Item.barcode == barcode))
        if item_id is None:
            raise NotFound(f"No item with barcode {barcode}")
    assert item_id is not None
    item = await session.scalar(select(Item).where(Item.id == item_id).with_for_update())
    assert item is not None
    if request.bib_id is not None and item.bib_id != request.bib_id:
        raise InvalidInput("That item is a copy of another record")
    if request.item_id is not None and request.item_id != item.id:
        # Another copy than the one on its way: that one's move request ends.
        await release_move_request(session, request)
    partner = await session.get_one(Partner, request.partner_id)
    patron_id = await partners.partner_user(session, partner)
    await _shelve_move_request(session, request, item)
    held = await lifecycle.hold_for_item(session, item_id=item.id)
    moment = common.now()
    terms = await check_eligibility(
        session,
        item=item,
        patron_id=patron_id,
        today=moment.date(),
        held_for_patron=held is not None and held.user_id == patron_id,
    )
    loan = await open_loan(
        session,
        item=item,
        patron_id=patron_id,
        moment=moment,
        terms=terms,
        loan_desk_id=desk.id if desk else None,
        loan_library_id=desk.library_id if desk else item.library_id,
        session_id=actor.principal.session_id if actor.principal else None,
    )
    if due_at is not None:
        if due_at.tzinfo is None or due_at <= moment:
            raise InvalidInput("dueAt must be a future date and time with a timezone")
        loan.due_at = due_at
        loan.lost_at = terms.lost_at(due_at) if loan.terms else None
    request.loan_id = loan.id
    request.item_id = item.id
    request.item_library_id = item.library_id
    request.bib_id = item.bib_id
    request.due_at = loan.due_at
    move(session, request, E.SHIP, actor=actor, note=common.clean_text(note, field="note"))
    if request.move_request_id is not None:
        add_alert(session, request, MOVE_COMPLETED)
    await tell_partner(
        session,
        request,
        MessageKind.LOANED,
        actor=actor,
        note=common.clean_text(note, field="note"),
        item_id=item.barcode,
        sent_at=moment,
    )
    await session.flush()
    return request


async def _shelve_move_request(session: AsyncSession, request: LendingRequest, item: Item) -> None:
    """The copy ships before its move request reached the shipping desk's hold shelf (a
    broker's CheckOutItem as the copy is taken from the shelf): the move request is
    fulfilled by the loan, as if it had been shelved for pickup first."""
    if request.move_request_id is None:
        return
    hold = await requests_common.lock_request(session, request.move_request_id)
    if hold.item_id != item.id:
        return
    status = RequestStatus(hold.status)
    if status is RequestStatus.PICK_FROM_SHELF:
        requests_common.apply(hold, RequestEvent.SHELVE_FOR_PICKUP, now=common.now())
    elif status is RequestStatus.IN_TRANSIT:
        requests_common.apply(hold, RequestEvent.RECEIVE_AT_PICKUP, now=common.now())


async def _loan(session: AsyncSession, request: LendingRequest) -> Loan:
    if request.loan_id is None:
        raise Conflict("The request has no loan", code=ErrorCode.ILLEGAL_TRANSITION)
    loan = await session.scalar(select(Loan).where(Loan.id == request.loan_id).with_for_update())
    assert loan is not None
    return loan


async def partner_renew_request(
    session: AsyncSession,
    *,
    actor: common.Actor,
    request_id: int,
    note: str | None = None,
    desired_due: datetime | None = None,
) -> LendingRequest:
    """The borrower asks for a renewal: staff approve or reject it; a broker partner
    decides itself and is asked (with ``desired_due``, by default one more loan period),
    its answer approves or rejects. No commit."""
    request = await for_change(session, actor=actor, request_id=request_id)
    move(session, request, E.PARTNER_RENEW_REQUEST, actor=actor, note=note)
    add_alert(session, request, "RENEWAL_REQUESTED", note=note)
    partner = await session.get_one(Partner, request.partner_id)
    if partner.protocol == PartnerProtocol.NCIP.value:
        loan = await _loan(session, request)
        if desired_due is None:
            item = await session.get_one(Item, loan.item_id)
            desired_due = loan_terms(loan, item).renewed_due_date(
                current_due=loan.due_at, now=common.now()
            )
        if desired_due.tzinfo is None or desired_due <= loan.due_at:
            raise InvalidInput("The desired due date must be later than the current one")
        await tell_partner(
            session,
            request,
            MessageKind.RENEW_REQUEST,
            actor=actor,
            note=note,
            extra={"desired_due": desired_due.isoformat()},
        )
    await session.flush()
    return request


async def respond_renewal(
    session: AsyncSession,
    *,
    actor: common.Actor,
    request_id: int,
    approve: bool,
    due_at: datetime | None = None,
    note: str | None = None,
) -> LendingRequest:
    """Answer a renewal request: approved, the loan runs to ``due_at`` (default: one more
    loan period, as a desk renewal would); rejected, the due date stays. No commit."""
    request = await for_change(session, actor=actor, request_id=request_id)
    note = common.clean_text(note, field="note")
    if not approve:
        move(session, request, E.REJECT_RENEWAL, actor=actor, note=note)
        await tell_partner(
            session, request, MessageKind.RENEW_RESPONSE, actor=actor, note=note, answer=False
        )
        await session.flush()
        return request
    table.next_status(LendingStatus(request.status), E.APPROVE_RENEWAL)
    loan = await _loan(session, request)
    item = await session.get_one(Item, loan.item_id)
    terms = loan_terms(loan, item)
    moment = common.now()
    new_due = due_at or terms.renewed_due_date(current_due=loan.due_at, now=moment)
    if new_due.tzinfo is None or new_due <= loan.due_at:
        raise InvalidInput("A renewal moves the due date later")
    # As at a desk: the overdue days so far stay charged, a later overdue is a new fine.
    await fines.settle_fine(session, loan=loan, item=item, terms=terms, until=moment, final=True)
    loan.due_at = new_due
    loan.lost_at = terms.lost_at(new_due) if loan.terms else None
    loan.overdue_sent_at = None
    loan.renewals += 1
    loan.version = (loan.version or 1) + 1
    request.due_at = new_due
    request.renewals += 1
    move(session, request, E.APPROVE_RENEWAL, actor=actor, note=note)
    await tell_partner(
        session, request, MessageKind.RENEW_RESPONSE, actor=actor, note=note, answer=True
    )
    await session.flush()
    return request


async def renew(
    session: AsyncSession,
    *,
    actor: common.Actor,
    request_id: int,
    due_at: datetime | None = None,
    note: str | None = None,
) -> LendingRequest:
    """Renew in one step (a broker's renewal: asked and granted at once). No commit."""
    request = await for_change(session, actor=actor, request_id=request_id)
    if request.status == S.SHIPPED.value:
        move(session, request, E.PARTNER_RENEW_REQUEST, actor=actor, note=note)
    return await respond_renewal(
        session, actor=actor, request_id=request_id, approve=True, due_at=due_at, note=note
    )


async def partner_returned(
    session: AsyncSession, *, actor: common.Actor, request_id: int, note: str | None = None
) -> LendingRequest:
    """The borrower shipped the item back: we check it in when it arrives. No commit."""
    request = await for_change(session, actor=actor, request_id=request_id)
    move(session, request, E.PARTNER_RETURNED, actor=actor, note=note)
    await session.flush()
    return request


async def _end_loan(
    session: AsyncSession, loan: Loan, *, at_library_id: int, session_id: str | None
) -> NextStep:
    """Close the partner's loan and send the item where it belongs next (the next request
    in the queue, its shelf, or in transit home), as a desk return does."""
    item = await session.scalar(select(Item).where(Item.id == loan.item_id).with_for_update())
    assert item is not None
    moment = common.now()
    # What the terms settle on return: a final fine, or the refund of a lost fee (found).
    await lost.settle_on_return(session, loan=loan, item=item, moment=moment)
    loan.status = LoanStatus.RETURNED.value
    loan.returned_at = moment
    loan.return_library_id = at_library_id
    loan.return_session_id = session_id
    loan.version = (loan.version or 1) + 1
    item.version = (item.version or 1) + 1
    await session.flush()
    taken = await lifecycle.take_over_returned_item(session, item=item, at_library_id=at_library_id)
    if taken is not None:
        return taken.step
    if item.library_id == at_library_id:
        item.status = ItemStatus.ON_SHELF.value
        item.transit_to_library_id = None
        return NextStep.RESHELVE
    await lifecycle.send_home(session, item=item, leaving_from=at_library_id, now=moment)
    return NextStep.TRANSIT


async def check_in(
    session: AsyncSession,
    *,
    actor: common.Actor,
    request_id: int,
    desk_code: str | None = None,
    note: str | None = None,
) -> tuple[LendingRequest, NextStep]:
    """The item is back: end the partner's loan, complete the request and tell the
    borrower (loan completed). Found after being declared lost, the same. No commit."""
    request = await for_change(session, actor=actor, request_id=request_id)
    table.next_status(LendingStatus(request.status), E.CHECK_IN)
    desk = await _desk(session, actor, desk_code)
    loan = await _loan(session, request)
    at = desk.library_id if desk else (request.library_id or loan.owning_library_id)
    step = await _end_loan(
        session,
        loan,
        at_library_id=at,
        session_id=actor.principal.session_id if actor.principal else None,
    )
    note = common.clean_text(note, field="note")
    move(session, request, E.CHECK_IN, actor=actor, note=note)
    await tell_partner(session, request, MessageKind.LOAN_COMPLETED, actor=actor, note=note)
    await session.flush()
    return request, step


async def declare_lost(
    session: AsyncSession,
    *,
    actor: common.Actor,
    request_id: int,
    fee: str | None = None,
    note: str | None = None,
) -> LendingRequest:
    """The item is lost at the partner: the loan and item become lost, the replacement
    fee is charged to the partner's record — the amount staff give (seed 003: the current
    lost fee), else what the loan's terms of use charge — and communicated to the partner
    ("lost and fee communicated"). No commit."""
    request = await for_change(session, actor=actor, request_id=request_id)
    table.next_status(LendingStatus(request.status), E.DECLARE_LOST)
    inst = await common.institution(session)
    minor = None
    if fee is not None:
        minor = to_minor(parse_amount(fee, inst.currency, field="fee"), inst.currency)
    loan = await _loan(session, request)
    if loan.status == LoanStatus.ACTIVE.value:
        # The rules' own lost handling (loan and item lost, fees by the terms, letters).
        await lost.declare_lost_many(
            session, loan_ids=[loan.id], now=common.now(), by=lost.LostBy.STAFF
        )
        await session.refresh(loan)
    charged = list(
        await session.scalars(
            select(Fee).where(Fee.loan_id == loan.id, Fee.fee_type == FeeType.LOST_ITEM.value)
        )
    )
    if minor is not None:
        item = await session.get_one(Item, loan.item_id)
        for old in charged:  # staff's amount replaces what the rules charged
            old.balance_minor, old.status = 0, FeeStatus.CLOSED.value
        new_fee = await fees.add_fee(
            session,
            user_id=loan.user_id,
            fee_type=FeeType.LOST_ITEM,
            owner_library_id=item.library_id,
            currency=inst.currency,
            amount_minor=minor,
            comment=f"Lost on resource sharing loan (lending request {request.id})",
        )
        new_fee.loan_id = loan.id
    else:
        minor = sum(f.original_minor for f in charged)
    note = common.clean_text(note, field="note")
    amount = from_minor(minor, inst.currency)
    request.lost_fee_minor = minor
    move(session, request, E.DECLARE_LOST, actor=actor, note=note)
    await tell_partner(
        session,
        request,
        MessageKind.LOST,
        actor=actor,
        note=note or f"Declared lost; replacement fee {amount} {inst.currency}",
        fee_minor=minor,
        currency=inst.currency,
    )
    await session.flush()
    return request


async def complete(
    session: AsyncSession, *, actor: common.Actor, request_id: int, note: str | None = None
) -> LendingRequest:
    """Close a lost request once the partner paid (the fee is settled at the fees desk).
    No commit."""
    request = await for_change(session, actor=actor, request_id=request_id)
    move(session, request, E.COMPLETE, actor=actor, note=common.clean_text(note, field="note"))
    await session.flush()
    return request


async def recall(
    session: AsyncSession, *, actor: common.Actor, request_id: int, note: str | None = None
) -> LendingRequest:
    """Ask the borrower to send the item back early (it stays shipped). No commit."""
    request = await for_change(session, actor=actor, request_id=request_id)
    if request.status not in table.ANNOTATIONS[table.LendingAction.RECALL]:
        raise Conflict(
            "Only an item at the partner can be recalled", code=ErrorCode.ILLEGAL_TRANSITION
        )
    note = common.clean_text(note, field="note")
    common.history(
        session,
        category=common.HistoryCategory.NOTE,
        kind="RECALLED",
        actor=actor,
        lending_id=request.id,
        note=note,
    )
    await tell_partner(session, request, MessageKind.RECALLED, actor=actor, note=note)
    await session.flush()
    return request


async def send_overdue_notices(session: AsyncSession, *, now: datetime | None = None) -> list[int]:
    """Tell each borrower once that an item we lent is overdue (and alert staff); one
    transaction per request (commits each)."""
    moment = now or common.now()
    due = list(
        await session.scalars(
            select(LendingRequest.id)
            .where(
                LendingRequest.status.in_([S.SHIPPED.value, S.RENEW_REQUESTED.value]),
                LendingRequest.due_at < moment,
                LendingRequest.overdue_sent_at.is_(None),
            )
            .order_by(LendingRequest.id)
        )
    )
    await session.commit()
    sent: list[int] = []
    for request_id in due:
        request = await common.lock_lending(session, request_id)
        if request.overdue_sent_at is not None or request.status not in (
            S.SHIPPED.value,
            S.RENEW_REQUESTED.value,
        ):
            await session.rollback()
            continue
        request.overdue_sent_at = moment
        add_alert(session, request, "OVERDUE", note=f"Due {request.due_at:%Y-%m-%d}")
        await tell_partner(session, request, MessageKind.OVERDUE, actor=common.SYSTEM)
        await session.commit()
        sent.append(request_id)
    return sent


async def move_request_status(session: AsyncSession, request: LendingRequest) -> str | None:
    """Where the move request of ``request`` is (its request status), if any."""
    if request.move_request_id is None:
        return None
    status = await session.scalar(
        select(Request.status).where(Request.id == request.move_request_id)
    )
    return RequestStatus(status).value if status else None
