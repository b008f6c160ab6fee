"""Overdue fines, accrued by the loan's terms as fees owned by the item's library.

An overdue loan has at most one *accruing* ``OVERDUE`` fee (``fee.accruing``); its amount
is always ``domain.overdue.overdue_fine`` counted up to a moment, so the job's accrual
while the loan is out and the final count at return agree. The fine becomes final (no
longer accruing) when the item is returned, the loan renewed (the overdue days before the
renewal stay charged), the loan declared lost, or the fine waived in full. A payment that
clears a fine still accruing does not stop it: the next accrual reopens it with the new
days. Final fines send the Fines/Fees Notification (owned by the fee owner); accruing
ones do not (the Overdue Notice tells the patron).

Job (also ``institution-node accrue-fines``): ``accrue_fines(sessions, *, now)`` walks
the overdue active loans in batches of ``batch_size`` by loan id, each batch one
transaction of five statements whatever its size; running it twice at the same ``now``
changes nothing the second time.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import ColumnElement, and_, insert, select, update
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from network_common.vocabulary import FeeType, LoanStatus

from ...domain.fulfilment import Terms
from ...domain.letters import Letter, letter_owner_library
from ...domain.money import from_minor
from ...domain.overdue import overdue_fine
from ...domain.vocabulary import FeeStatus
from ...store.models import Fee, Item, Loan
from ..fees import add_fee
from ..notifications import send_letter

BATCH_SIZE = 500


def fine_comment(barcode: str) -> str:
    return f"Overdue: item {barcode}"


async def accruing_fine(session: AsyncSession, loan_id: int) -> Fee | None:
    """The loan's fine still accruing (locked), if any."""
    found: Fee | None = await session.scalar(
        select(Fee)
        .where(
            Fee.loan_id == loan_id,
            Fee.fee_type == FeeType.OVERDUE.value,
            Fee.accruing.is_(True),
        )
        .with_for_update()
    )
    return found


def grown(original: int, balance: int, status: str, amount: int) -> tuple[int, int, str] | None:
    """The fee's (original, balance, status) once the fine is ``amount``; None: unchanged."""
    delta = amount - original
    if delta <= 0:
        return None
    return amount, balance + delta, FeeStatus.OPEN.value


async def settle_fine(
    session: AsyncSession,
    *,
    loan: Loan,
    item: Item,
    terms: Terms,
    until: datetime,
    final: bool,
) -> Fee | None:
    """Bring the loan's fine to its amount at ``until`` (``final``: and stop it); no commit.
    None when the loan owes no fine."""
    amount = overdue_fine(terms, due_at=loan.due_at, until=until)
    fee = await accruing_fine(session, loan.id)
    if fee is None:
        if amount == 0:
            return None
        return await add_fee(
            session,
            user_id=loan.user_id,
            fee_type=FeeType.OVERDUE,
            owner_library_id=loan.owning_library_id,
            currency=terms.currency,
            amount_minor=amount,
            comment=fine_comment(item.barcode),
            loan_id=loan.id,
            accruing=not final,
            created_at=until,
            notify=final,
        )
    change = grown(fee.original_minor, fee.balance_minor, fee.status, amount)
    if change is not None:
        fee.original_minor, fee.balance_minor, fee.status = change
        fee.version = (fee.version or 1) + 1
    if final:
        fee.accruing = False
        shown = from_minor(fee.original_minor, fee.currency)
        await send_letter(
            session,
            user_id=loan.user_id,
            letter=Letter.FINES_FEES_NOTIFICATION,
            owner_library_id=letter_owner_library(
                Letter.FINES_FEES_NOTIFICATION, fee_owner=fee.owner_library_id
            ),
            subject=f"An overdue fine of {shown} {fee.currency}",
            body=(
                f"The overdue fine for item {item.barcode} is {shown} {fee.currency}; "
                f"open balance {from_minor(fee.balance_minor, fee.currency)} {fee.currency}."
            ),
        )
    await session.flush()
    return fee


@dataclass(frozen=True, slots=True)
class FinesReport:
    loans: int  # overdue loans looked at
    created: int  # fines started
    updated: int  # fines grown
    batches: int


def _overdue(now: datetime) -> ColumnElement[bool]:
    return and_(
        Loan.status == LoanStatus.ACTIVE.value,
        Loan.due_at < now,
        Loan.terms.is_not(None),
    )


async def accrue_batch(
    session: AsyncSession, *, now: datetime, loan_ids: list[int]
) -> tuple[int, int, int]:
    """One batch of loans (no commit), re-checked under lock: ``(loans, created, updated)``."""
    rows = (
        await session.execute(
            select(
                Loan.id,
                Loan.user_id,
                Loan.owning_library_id,
                Loan.due_at,
                Loan.terms,
                Item.barcode,
                Fee.id.label("fee_id"),
                Fee.original_minor,
                Fee.balance_minor,
                Fee.status.label("fee_status"),
                Fee.version.label("fee_version"),
            )
            .join(Item, Item.id == Loan.item_id)
            .outerjoin(
                Fee,
                and_(
                    Fee.loan_id == Loan.id,
                    Fee.fee_type == FeeType.OVERDUE.value,
                    Fee.accruing.is_(True),
                ),
            )
            .where(_overdue(now), Loan.id.in_(loan_ids))
            .order_by(Loan.id)
            .with_for_update(of=Loan)
        )
    ).all()
    if not rows:
        return 0, 0, 0
    inserts: list[dict[str, object]] = []
    updates: list[dict[str, object]] = []
    for row in rows:
        terms = Terms.from_dict(row.terms)
        amount = overdue_fine(terms, due_at=row.due_at, until=now)
        if row.fee_id is None:
            if amount > 0:
                inserts.append(
                    {
                        "user_id": row.user_id,
                        "fee_type": FeeType.OVERDUE.value,
                        "owner_library_id": row.owning_library_id,
                        "currency": terms.currency,
                        "original_minor": amount,
                        "balance_minor": amount,
                        "status": FeeStatus.OPEN.value,
                        "comment": fine_comment(row.barcode),
                        "loan_id": row.id,
                        "accruing": True,
                        "created_at": now,
                        "version": 1,
                    }
                )
            continue
        change = grown(row.original_minor, row.balance_minor, row.fee_status, amount)
        if change is not None:
            original, balance, status = change
            updates.append(
                {
                    "id": row.fee_id,
                    "original_minor": original,
                    "balance_minor": balance,
                    "status": status,
                    "version": (row.fee_version or 1) + 1,
                }
            )
    if inserts:
        await session.execute(insert(Fee), inserts)
    if updates:
        await session.execute(update(Fee), updates)
    return len(rows), len(inserts), len(updates)


async def accrue_fines(
    sessions: async_sessionmaker[AsyncSession], *, now: datetime, batch_size: int = BATCH_SIZE
) -> FinesReport:
    """The fines job: every overdue active loan's fine brought to its amount at ``now``.
    The overdue loans' ids are read once (one statement), then handled in batches by id."""
    async with sessions() as session:
        ids = list(
            (await session.scalars(select(Loan.id).where(_overdue(now)).order_by(Loan.id))).all()
        )
    loans, created, updated, batches = 0, 0, 0, 0
    for start in range(0, len(ids), batch_size):
        async with sessions() as session:
            n, c, u = await accrue_batch(session, now=now, loan_ids=ids[start : start + batch_size])
            await session.commit()
        loans, created, updated, batches = loans + n, created + c, updated + u, batches + 1
    return FinesReport(loans=loans, created=created, updated=updated, batches=batches)
