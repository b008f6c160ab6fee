"""Loan, renew and return at a circulation desk (DOMAIN §3, §6, §7).

Each action is one transaction: the item row is locked (``FOR UPDATE`` on PostgreSQL;
SQLite's ``BEGIN IMMEDIATE`` serialises writers), the loan row, the item status, any
request it completes and the patron letter are written together and committed once, so a
failure anywhere leaves nothing half-written.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from network_common.errors import Conflict, ErrorCode, Forbidden, NotFound
from network_common.tokens import Principal
from network_common.vocabulary import (
    DESK_ROLES,
    IndependenceModel,
    ItemStatus,
    LoanStatus,
    NextStep,
)

from ...domain.circulation import (
    BlockFacts,
    ItemFacts,
    PatronRoleFacts,
    check_loan,
    check_renewal,
    next_step_after_return,
)
from ...domain.fulfilment import Terms
from ...domain.letters import Letter, letter_owner_library
from ...domain.visibility import Kind, may_act_on_owned
from ...store.models import BibRecord, Block, Item, Library, Loan, PatronRole
from ..fulfilment import fines, lost
from ..fulfilment.terms import loan_terms, terms_for_item
from ..notifications import send_letter
from ..requests import lifecycle as request_service
from ..resource_sharing import borrowing_loans
from . import common
from .views import LoanView, loan_views, loan_visibility


@dataclass(frozen=True, slots=True)
class ReturnOutcome:
    loan: LoanView
    next_step: NextStep
    destination_library_code: str | None
    destination_library_name: str | None


async def _lock_item(session: AsyncSession, barcode: str) -> Item:
    item = await session.scalar(select(Item).where(Item.barcode == barcode).with_for_update())
    if item is None:
        raise NotFound(f"No item with barcode {barcode}")
    return item


async def _eligibility(
    session: AsyncSession, user_id: int
) -> tuple[list[PatronRoleFacts], list[BlockFacts]]:
    roles = await session.scalars(select(PatronRole).where(PatronRole.user_id == user_id))
    blocks = await session.scalars(select(Block).where(Block.user_id == user_id))
    return (
        [PatronRoleFacts(library_id=r.library_id, expiry=r.expiry_date) for r in roles],
        [
            BlockFacts(
                owner_library_id=b.owner_library_id, expiry=b.expiry_date, description=b.description
            )
            for b in blocks
        ],
    )


async def item_title(session: AsyncSession, item: Item) -> str:
    """The title of the item's bibliographic record (for letters)."""
    return await session.scalar(select(BibRecord.title).where(BibRecord.id == item.bib_id)) or ""


async def check_eligibility(
    session: AsyncSession,
    *,
    item: Item,
    patron_id: int,
    today: date,
    held_for_patron: bool,
    viewer: Principal | None = None,
) -> Terms:
    """Raise why ``item`` may not be loaned to the patron (policy and terms of use, status,
    role, blocks), else give the terms the loan would be made under. A block is quoted only
    to a local ``viewer`` who may see it (DOMAIN §7)."""
    terms = await terms_for_item(session, item=item, patron_id=patron_id)
    roles, blocks = await _eligibility(session, patron_id)
    model = (await common.facts(session)).model if viewer is not None else None
    scope = common.viewer_scope(viewer) if viewer is not None else None

    def block_shown(block: BlockFacts) -> bool:
        if model is None or scope is None:
            return False
        return may_act_on_owned(model, scope, block.owner_library_id)

    check_loan(
        item=ItemFacts(
            library_id=item.library_id,
            loanable=terms.loanable,
            status=ItemStatus(item.status),
            loan_period_days=terms.loan_period_days,
            renewals_allowed=terms.renewals_allowed,
        ),
        roles=roles,
        blocks=blocks,
        today=today,
        held_for_patron=held_for_patron,
        block_shown=block_shown,
    )
    return terms


async def open_loan(
    session: AsyncSession,
    *,
    item: Item,
    patron_id: int,
    moment: datetime,
    terms: Terms,
    **placement: Any,
) -> Loan:
    """Write the loan of the (locked) item under ``terms`` (kept on the loan), mark it on
    loan, complete the request it was held for and release it from another patron's
    pick-from-shelf task. ``placement`` names where it was loaned (desk/library, or
    another member)."""
    await request_service.release_picked_copy(session, item=item, patron_id=patron_id)
    due_at = terms.due_date(moment)
    loan = Loan(
        item_id=item.id,
        user_id=patron_id,
        owning_library_id=item.library_id,
        loaned_at=moment,
        due_at=due_at,
        renewals=0,
        status=LoanStatus.ACTIVE.value,
        rule_id=terms.rule_id,
        terms=terms.to_dict(),
        lost_at=terms.lost_at(due_at),
        version=1,
        **placement,
    )
    session.add(loan)
    item.status = ItemStatus.ON_LOAN.value
    item.transit_to_library_id = None
    item.transit_to_institution = None
    item.version = (item.version or 1) + 1
    try:
        await session.flush()
    except IntegrityError as exc:
        # The partial unique index: another desk's loan of this item won the race.
        raise Conflict("The item is already on loan", code=ErrorCode.ITEM_ON_LOAN) from exc
    await request_service.complete_on_loan(session, item=item, patron_id=patron_id, loan=loan)
    return loan


async def _one_loan(session: AsyncSession, loan_id: int) -> LoanView:
    views = await loan_views(session, Loan.id == loan_id)
    return views[0]


async def loan_item(
    session: AsyncSession, *, actor: Principal, desk_code: str, patron_primary_id: str, barcode: str
) -> LoanView:
    """Loan ``barcode`` to the patron at ``desk_code``; commits."""
    desk = await common.desk_for(session, actor=actor, desk_code=desk_code)
    patron = await common.find_patron(session, primary_id=patron_primary_id)
    item = await _lock_item(session, barcode)
    held = await request_service.hold_for_item(session, item_id=item.id)
    moment = common.now()
    terms = await check_eligibility(
        session,
        item=item,
        patron_id=patron.id,
        today=moment.date(),
        held_for_patron=held is not None and held.user_id == patron.id,
        viewer=actor,
    )
    loan = await open_loan(
        session,
        item=item,
        patron_id=patron.id,
        moment=moment,
        terms=terms,
        loan_desk_id=desk.id,
        loan_library_id=desk.library_id,
        session_id=actor.session_id,
    )
    # A borrowed item (resource sharing): its request moves on and the loan follows the
    # lender's due date.
    await borrowing_loans.on_patron_loan(session, item=item, loan=loan)
    title = await item_title(session, item)
    await send_letter(
        session,
        user_id=patron.id,
        letter=Letter.LOAN_RECEIPT,
        owner_library_id=letter_owner_library(Letter.LOAN_RECEIPT, pickup_library=desk.library_id),
        subject=f"Loan receipt: {title}",
        body=f"{title} (barcode {item.barcode}) is due back on {loan.due_at:%Y-%m-%d}.",
    )
    # Read the answer inside the same transaction: no second write lock on SQLite.
    view = await _one_loan(session, loan.id)
    await _commit(session)
    return view


async def renew_loan(session: AsyncSession, *, actor: Principal, loan_id: int) -> LoanView:
    """Renew an active loan within the terms it was made under (renewals allowed, renewal
    period); under FULL only its owning library may. An overdue fine so far becomes final."""
    scope = common.acting_scope(actor, DESK_ROLES)
    facts = await common.facts(session)
    loan = await session.scalar(
        select(Loan)
        .where(Loan.id == loan_id, loan_visibility(Kind.LOAN, facts.model, scope))
        .with_for_update()
    )
    if loan is None:
        raise NotFound("No such loan")
    if facts.model is IndependenceModel.FULL and not scope.covers(loan.owning_library_id):
        raise Forbidden("Renewals go through the item's owning library")
    item = await session.get_one(Item, loan.item_id)
    terms = loan_terms(loan, item)
    check_renewal(
        status=LoanStatus(loan.status),
        renewals=loan.renewals,
        renewals_allowed=terms.renewals_allowed,
    )
    moment = common.now()
    # The overdue days before the renewal stay charged; a later overdue starts a new fine.
    await fines.settle_fine(session, loan=loan, item=item, terms=terms, until=moment, final=True)
    loan.due_at = terms.renewed_due_date(current_due=loan.due_at, now=moment)
    loan.lost_at = terms.lost_at(loan.due_at) if loan.terms else None
    loan.courtesy_sent_at = None
    loan.overdue_sent_at = None
    loan.renewals += 1
    loan.version = (loan.version or 1) + 1
    # Read the answer inside the same transaction: no second write lock on SQLite.
    view = await _one_loan(session, loan.id)
    await _commit(session)
    return view


async def return_item(
    session: AsyncSession, *, actor: Principal, desk_code: str, barcode: str
) -> ReturnOutcome:
    """Check an item in at ``desk_code``: end its loan (a lost one too: the item is found),
    settle what its terms say (final fine, lost fee refund) and say where it goes next;
    commits."""
    desk = await common.desk_for(session, actor=actor, desk_code=desk_code)
    item = await _lock_item(session, barcode)
    loan = await open_loan_of(session, item)
    if loan is None:
        raise Conflict(f"Item {barcode} is not on loan", code=ErrorCode.ITEM_NOT_ON_LOAN)
    moment = common.now()
    await lost.settle_on_return(session, loan=loan, item=item, moment=moment)
    loan.status = LoanStatus.RETURNED.value
    loan.returned_at = moment
    loan.return_desk_id = desk.id
    loan.return_library_id = desk.library_id
    loan.return_session_id = actor.session_id
    loan.version = (loan.version or 1) + 1
    item.version = (item.version or 1) + 1
    await session.flush()
    await borrowing_loans.on_patron_return(session, item=item, loan=loan)
    taken = await request_service.take_over_returned_item(
        session, item=item, at_library_id=desk.library_id
    )
    if taken is not None:
        step, dest_code, dest_name = taken.step, taken.destination_code, taken.destination_name
    else:
        step = next_step_after_return(
            owning_library_id=item.library_id, return_library_id=desk.library_id
        )
        dest_code = dest_name = None
        if step is NextStep.RESHELVE:
            item.status = ItemStatus.ON_SHELF.value
            item.transit_to_library_id = None
        else:
            await request_service.send_home(
                session, item=item, leaving_from=desk.library_id, now=moment
            )
            home = await session.get_one(Library, item.library_id)
            dest_code, dest_name = home.code, home.name
    title = await item_title(session, item)
    await send_letter(
        session,
        user_id=loan.user_id,
        letter=Letter.RETURN_RECEIPT,
        owner_library_id=letter_owner_library(
            Letter.RETURN_RECEIPT, pickup_library=desk.library_id
        ),
        subject=f"Return receipt: {title}",
        body=f"{title} (barcode {item.barcode}) was returned on {moment:%Y-%m-%d}.",
    )
    view = await _one_loan(session, loan.id)
    await _commit(session)
    return ReturnOutcome(
        loan=view,
        next_step=step,
        destination_library_code=dest_code,
        destination_library_name=dest_name,
    )


async def open_loan_of(session: AsyncSession, item: Item) -> Loan | None:
    """The item's loan that a check-in ends: the active one, or a lost one (found), locked."""
    found: Loan | None = await session.scalar(
        select(Loan)
        .where(
            Loan.item_id == item.id,
            Loan.status.in_([LoanStatus.ACTIVE.value, LoanStatus.LOST.value]),
        )
        .order_by(Loan.id.desc())
        .limit(1)
        .with_for_update()
    )
    return found


async def _commit(session: AsyncSession) -> None:
    try:
        await session.commit()
    except IntegrityError as exc:
        raise Conflict(
            "Someone else changed this record at the same moment; try again",
            code=ErrorCode.CONCURRENT_UPDATE,
        ) from exc
