"""Lost loans: declared by the job past the terms' limit or by staff; found again later.

Declaring a loan lost (``declare_lost_many``, a constant number of statements for any
number of loans, so the job's batches and a staff action share one implementation):

- the overdue fine becomes final, counted up to the moment the loan became lost (the
  terms' limit for the job, now for staff);
- the lost item replacement and processing fees of the loan's terms are charged to the
  patron, owned by the item's library (DOMAIN §1: the owner handles lost and fees);
- loan and item become ``LOST``; item-level requests waiting for the copy are cancelled,
  and title-level ones too when no other usable copy of the title is left (Cancel Request
  letters, owned by the item's library);
- the patron is told: the job sends one aggregated Lost Loan Notification per patron (per
  owning library when ``separate_patron_notifications_by_library``, else one owned by the
  institution), a staff declaration the Lost Loan letter (owned by the item's library).

Found (``settle_on_return``): a lost item checked in at a desk (or returned at another
member) ends the lost state; when its terms refund the lost fee, the open replacement fee
is credited and what was paid of it is recorded as owed back (REFUND), and the Lost Refund
Fee letter (owned by the item's library) says so. The processing fee and the overdue fine
stay charged.

Job (also ``institution-node declare-lost``): ``declare_overdue_lost(sessions, *, now)``,
in batches of patrons (a constant number of statements per batch).
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from typing import Any

from sqlalchemy import and_, func, insert, or_, select, update
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from network_common.errors import Conflict, ErrorCode, Forbidden, NotFound
from network_common.tokens import Principal
from network_common.vocabulary import (
    DESK_ROLES,
    FeeType,
    IndependenceModel,
    ItemStatus,
    LoanStatus,
    RequestStatus,
)

from ...domain.fulfilment import Terms
from ...domain.letters import Letter, letter_owner_library
from ...domain.money import from_minor
from ...domain.overdue import overdue_fine
from ...domain.requests import Places, RequestEvent, RequestKind, managing_library, next_status
from ...domain.visibility import Kind
from ...domain.vocabulary import FeeStatus, FeeTransactionKind
from ...store.models import BibRecord, Fee, FeeTransaction, Institution, Item, Loan, Request
from ..circulation import common
from ..circulation.views import LoanView, loan_views, loan_visibility
from ..notifications import LetterDraft, send_letter, send_letters
from .fines import fine_comment, grown, settle_fine
from .terms import loan_terms

BATCH_SIZE = 500
LOST_REASON = "The item was declared lost"


class LostBy(StrEnum):
    JOB = "JOB"  # the terms' limit passed (institution-node declare-lost)
    STAFF = "STAFF"


@dataclass(frozen=True, slots=True)
class LostReport:
    loans: int
    fees: int
    letters: int
    cancelled_requests: int
    batches: int


@dataclass(frozen=True, slots=True)
class _Declared:
    fees: int
    letters: int
    cancelled: int
    loans: int


def _money(minor: int, currency: str) -> str:
    return f"{from_minor(minor, currency)} {currency}"


async def declare_lost_many(
    session: AsyncSession, *, loan_ids: list[int], now: datetime, by: LostBy
) -> _Declared:
    """Declare these loans lost (those still active); no commit."""
    if not loan_ids:
        return _Declared(0, 0, 0, 0)
    inst = (
        await session.execute(
            select(Institution.currency, Institution.separate_patron_notifications_by_library)
        )
    ).one()
    separate = bool(inst.separate_patron_notifications_by_library)
    # Items first, then loans: the same lock order as a desk return.
    await session.execute(
        select(Item.id)
        .where(Item.id.in_(select(Loan.item_id).where(Loan.id.in_(loan_ids))))
        .order_by(Item.id)
        .with_for_update()
    )
    loans = (
        await session.execute(
            select(
                Loan.id,
                Loan.user_id,
                Loan.item_id,
                Loan.owning_library_id,
                Loan.due_at,
                Loan.lost_at,
                Loan.terms,
                Loan.version,
                Item.barcode,
                Item.bib_id,
                Item.version.label("item_version"),
                BibRecord.title,
            )
            .join(Item, Item.id == Loan.item_id)
            .join(BibRecord, BibRecord.id == Item.bib_id)
            .where(Loan.id.in_(loan_ids), Loan.status == LoanStatus.ACTIVE.value)
            .order_by(Loan.id)
            .with_for_update(of=Loan)
        )
    ).all()
    if not loans:
        return _Declared(0, 0, 0, 0)
    ids = [row.id for row in loans]
    fines = {
        row.loan_id: row
        for row in await session.execute(
            select(
                Fee.id, Fee.loan_id, Fee.original_minor, Fee.balance_minor, Fee.status, Fee.version
            ).where(
                Fee.loan_id.in_(ids),
                Fee.fee_type == FeeType.OVERDUE.value,
                Fee.accruing.is_(True),
            )
        )
    }
    inserts: list[dict[str, Any]] = []
    fine_updates: list[dict[str, Any]] = []
    drafts: list[LetterDraft] = []
    notices: dict[tuple[int, int | None], list[str]] = defaultdict(list)
    currency = str(inst.currency)

    def fee_row(row: Any, kind: FeeType, amount: int, comment: str) -> dict[str, Any]:
        return {
            "user_id": row.user_id,
            "fee_type": kind.value,
            "owner_library_id": row.owning_library_id,
            "currency": currency,
            "original_minor": amount,
            "balance_minor": amount,
            "status": FeeStatus.OPEN.value,
            "comment": comment,
            "loan_id": row.id,
            "accruing": False,
            "created_at": now,
            "version": 1,
        }

    for row in loans:
        terms = Terms.from_dict(row.terms) if row.terms else None
        lines = []
        if terms is not None:
            until = row.lost_at if by is LostBy.JOB and row.lost_at is not None else now
            fine = overdue_fine(terms, due_at=row.due_at, until=min(until, now))
            existing = fines.get(row.id)
            if existing is None and fine > 0:
                inserts.append(fee_row(row, FeeType.OVERDUE, fine, fine_comment(row.barcode)))
            elif existing is not None:
                change = grown(
                    existing.original_minor, existing.balance_minor, existing.status, fine
                )
                values: dict[str, Any] = {"id": existing.id, "accruing": False}
                if change is not None:
                    values["original_minor"], values["balance_minor"], values["status"] = change
                    values["version"] = (existing.version or 1) + 1
                fine_updates.append(values)
                fine = max(fine, existing.original_minor)
            if fine:
                lines.append(f"overdue fine {_money(fine, currency)}")
            for kind, amount in (
                (FeeType.LOST_ITEM, terms.lost_replacement_fee_minor),
                (FeeType.LOST_ITEM_PROCESSING, terms.lost_processing_fee_minor),
            ):
                if amount > 0:
                    inserts.append(fee_row(row, kind, amount, f"Lost: item {row.barcode}"))
                    label = "replacement" if kind is FeeType.LOST_ITEM else "processing"
                    lines.append(f"lost item {label} fee {_money(amount, currency)}")
        charged = "; ".join(lines) if lines else "no fees"
        text = f"- {row.title} (barcode {row.barcode}), due {row.due_at:%Y-%m-%d}: {charged}"
        if by is LostBy.STAFF:
            drafts.append(
                LetterDraft(
                    user_id=row.user_id,
                    letter=Letter.LOST_LOAN,
                    owner_library_id=letter_owner_library(
                        Letter.LOST_LOAN, item_owner=row.owning_library_id
                    ),
                    subject=f"Declared lost: {row.title}",
                    body=f"This loan was declared lost on {now:%Y-%m-%d}:\n{text}",
                )
            )
        else:
            owner = row.owning_library_id if separate else None
            notices[(row.user_id, owner)].append(text)
    for (user_id, owner), texts in notices.items():
        drafts.append(
            LetterDraft(
                user_id=user_id,
                letter=Letter.LOST_LOAN_NOTIFICATION,
                owner_library_id=owner,
                subject=f"{len(texts)} loan(s) declared lost",
                body=(
                    f"These loans were not returned in time and were declared lost on "
                    f"{now:%Y-%m-%d}:\n" + "\n".join(texts)
                ),
            )
        )
    if inserts:
        await session.execute(insert(Fee), inserts)
    if fine_updates:
        # Rows differ in which columns change: one statement per shape (at most two).
        for shape in {tuple(sorted(v)) for v in fine_updates}:
            await session.execute(
                update(Fee), [v for v in fine_updates if tuple(sorted(v)) == shape]
            )
    await session.execute(
        update(Loan),
        [
            {
                "id": row.id,
                "status": LoanStatus.LOST.value,
                "declared_lost_at": now,
                "version": (row.version or 1) + 1,
            }
            for row in loans
        ],
    )
    await session.execute(
        update(Item),
        [
            {
                "id": row.item_id,
                "status": ItemStatus.LOST.value,
                "transit_to_library_id": None,
                "transit_to_institution": None,
                "version": (row.item_version or 1) + 1,
            }
            for row in loans
        ],
    )
    cancelled = await _queue_moves_on(session, loans=loans, now=now, drafts=drafts)
    letters = await send_letters(session, drafts, created_at=now)
    await session.flush()
    return _Declared(fees=len(inserts), letters=letters, cancelled=cancelled, loans=len(loans))


async def _queue_moves_on(
    session: AsyncSession, *, loans: Sequence[Any], now: datetime, drafts: list[LetterDraft]
) -> int:
    """Cancel the requests that can no longer be served once these copies are lost."""
    lost_items = {row.item_id for row in loans}
    bibs = {row.bib_id for row in loans}
    waiting = (
        await session.execute(
            select(
                Request.id,
                Request.user_id,
                Request.item_id,
                Request.bib_id,
                Request.item_library_id,
                Request.pickup_library_id,
                Request.status,
                Request.version,
                BibRecord.title,
            )
            .join(BibRecord, BibRecord.id == Request.bib_id)
            .where(
                Request.kind == RequestKind.PATRON.value,
                Request.status == RequestStatus.PLACED.value,
                or_(
                    Request.item_id.in_(lost_items),
                    and_(Request.item_id.is_(None), Request.bib_id.in_(bibs)),
                ),
            )
            .with_for_update(of=Request)
        )
    ).all()
    if not waiting:
        return 0
    still_served = set(
        (
            await session.scalars(
                select(Item.bib_id)
                .where(
                    Item.bib_id.in_(bibs),
                    Item.id.not_in(lost_items),
                    Item.status != ItemStatus.LOST.value,
                    Item.loanable.is_(True),
                    Item.requestable.is_(True),
                )
                .group_by(Item.bib_id)
                .having(func.count(Item.id) > 0)
            )
        ).all()
    )
    changes = []
    for req in waiting:
        if req.item_id is None and req.bib_id in still_served:
            continue  # another copy may still serve this title-level request
        target = next_status(RequestKind.PATRON, RequestStatus(req.status), RequestEvent.CANCEL)
        changes.append(
            {
                "id": req.id,
                "status": target.value,
                "cancel_reason": LOST_REASON,
                "cancelled_by": "SYSTEM",
                "managing_library_id": managing_library(
                    target,
                    Places(
                        item_library=req.item_library_id,
                        pickup_library=req.pickup_library_id,
                        transit_from=None,
                    ),
                ),
                "updated_at": now,
                "closed_at": now,
                "version": (req.version or 1) + 1,
            }
        )
        if req.user_id is not None:
            drafts.append(
                LetterDraft(
                    user_id=req.user_id,
                    letter=Letter.CANCEL_REQUEST,
                    owner_library_id=letter_owner_library(
                        Letter.CANCEL_REQUEST, item_owner=req.item_library_id
                    ),
                    subject=f"Your request was cancelled: {req.title}",
                    body=f"Your request for {req.title} was cancelled. Reason: {LOST_REASON}.",
                )
            )
    if changes:
        await session.execute(update(Request), changes)
    return len(changes)


async def declare_overdue_lost(
    sessions: async_sessionmaker[AsyncSession], *, now: datetime, batch_size: int = BATCH_SIZE
) -> LostReport:
    """The lost job: every active loan past its terms' lost limit at ``now`` is declared
    lost. Batches of ``batch_size`` patrons (one transaction each) with all their loans due
    to be lost, so each patron gets one aggregated notice per run."""
    due = and_(
        Loan.status == LoanStatus.ACTIVE.value,
        Loan.lost_at.is_not(None),
        Loan.lost_at <= now,
    )
    async with sessions() as session:
        # The patrons concerned, read once (one statement); then batches of patrons.
        patrons = list(
            (
                await session.scalars(
                    select(Loan.user_id).where(due).group_by(Loan.user_id).order_by(Loan.user_id)
                )
            ).all()
        )
    loans, fees, letters, cancelled, batches = 0, 0, 0, 0, 0
    for start in range(0, len(patrons), batch_size):
        users = patrons[start : start + batch_size]
        async with sessions() as session:
            ids = list(
                (
                    await session.scalars(
                        select(Loan.id).where(due, Loan.user_id.in_(users)).order_by(Loan.id)
                    )
                ).all()
            )
            done = await declare_lost_many(session, loan_ids=ids, now=now, by=LostBy.JOB)
            await session.commit()
        loans, fees, letters = loans + done.loans, fees + done.fees, letters + done.letters
        cancelled, batches = cancelled + done.cancelled, batches + 1
    return LostReport(
        loans=loans, fees=fees, letters=letters, cancelled_requests=cancelled, batches=batches
    )


async def declare_lost(session: AsyncSession, *, actor: Principal, loan_id: int) -> LoanView:
    """Staff declare a loan they may see lost (under FULL only its owning library); commits."""
    scope = common.acting_scope(actor, DESK_ROLES)
    facts = await common.facts(session)
    row = (
        await session.execute(
            select(Loan.id, Loan.status, Loan.owning_library_id).where(
                Loan.id == loan_id, loan_visibility(Kind.LOAN, facts.model, scope)
            )
        )
    ).first()
    if row is None:
        raise NotFound("No such loan")
    if facts.model is IndependenceModel.FULL and not scope.covers(row.owning_library_id):
        raise Forbidden("Lost loans are declared by the item's owning library")
    done = await declare_lost_many(session, loan_ids=[loan_id], now=common.now(), by=LostBy.STAFF)
    if done.loans == 0:
        raise Conflict("Only active loans can be declared lost", code=ErrorCode.LOAN_NOT_ACTIVE)
    view = (await loan_views(session, Loan.id == loan_id))[0]
    await session.commit()
    return view


async def settle_on_return(
    session: AsyncSession, *, loan: Loan, item: Item, moment: datetime
) -> None:
    """What the loan's terms settle when the item comes back (before the loan is marked
    returned; no commit): a final fine, or for a lost loan the refund of its lost fee."""
    terms = loan_terms(loan, item)
    if loan.status != LoanStatus.LOST.value:
        await settle_fine(session, loan=loan, item=item, terms=terms, until=moment, final=True)
        return
    if not terms.lost_fee_refunded:
        return
    fees = (
        await session.scalars(
            select(Fee)
            .where(Fee.loan_id == loan.id, Fee.fee_type == FeeType.LOST_ITEM.value)
            .with_for_update()
        )
    ).all()
    if not fees:
        return
    totals: dict[tuple[int, str], int] = defaultdict(int)
    for fee_id, kind, amount in await session.execute(
        select(FeeTransaction.fee_id, FeeTransaction.kind, FeeTransaction.amount_minor).where(
            FeeTransaction.fee_id.in_([f.id for f in fees])
        )
    ):
        totals[(fee_id, kind)] += amount
    credited = refunded = 0
    for fee in fees:
        paid = (
            totals[(fee.id, FeeTransactionKind.PAYMENT.value)]
            - totals[(fee.id, FeeTransactionKind.REFUND.value)]
        )
        if fee.balance_minor > 0:
            session.add(_transaction(fee, FeeTransactionKind.CREDIT, fee.balance_minor, moment))
            credited += fee.balance_minor
            fee.balance_minor = 0
        if paid > 0:
            session.add(_transaction(fee, FeeTransactionKind.REFUND, paid, moment))
            refunded += paid
        fee.status = FeeStatus.CLOSED.value
        fee.version = (fee.version or 1) + 1
    if credited == 0 and refunded == 0:
        return
    currency = fees[0].currency
    title = await session.scalar(select(BibRecord.title).where(BibRecord.id == item.bib_id))
    parts = []
    if credited:
        parts.append(f"{_money(credited, currency)} of the lost item fee is cancelled")
    if refunded:
        parts.append(f"{_money(refunded, currency)} you paid for it will be refunded")
    await send_letter(
        session,
        user_id=loan.user_id,
        letter=Letter.LOST_REFUND_FEE,
        owner_library_id=letter_owner_library(
            Letter.LOST_REFUND_FEE, item_owner=loan.owning_library_id
        ),
        subject=f"Lost item returned: {title}",
        body=f"{title} (barcode {item.barcode}) came back: " + "; ".join(parts) + ".",
    )


def _transaction(
    fee: Fee, kind: FeeTransactionKind, amount: int, moment: datetime
) -> FeeTransaction:
    return FeeTransaction(
        fee_id=fee.id,
        kind=kind.value,
        amount_minor=amount,
        note="The lost item was returned",
        created_at=moment,
    )


__all__ = [
    "LostBy",
    "LostReport",
    "declare_lost",
    "declare_lost_many",
    "declare_overdue_lost",
    "settle_on_return",
]
