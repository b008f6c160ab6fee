"""Fines and fees: list with balances, create, pay (partial or full), waive.

Amounts are exact: parsed as Decimal in the institution's currency and stored in integer
minor units. Only fees the operator may see count in the balance, and pay/waive act only
on those (a hidden fee answers NOT_FOUND like a missing one).
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal

from sqlalchemy import ColumnElement, func, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import aliased

from network_common.errors import Conflict, ErrorCode, InvalidInput, NotFound
from network_common.scope import Scope
from network_common.tokens import Principal
from network_common.vocabulary import DESK_ROLES, FeeType, IndependenceModel

from ..domain.letters import Letter, letter_owner_library
from ..domain.money import from_minor, parse_amount, to_minor
from ..domain.visibility import Kind, may_act_on_owned
from ..domain.vocabulary import FeeStatus, FeeTransactionKind
from ..store.models import Desk, Fee, FeeTransaction, Library
from ..store.visibility_sql import owned_columns, visible_clause
from .circulation import common
from .notifications import send_letter


@dataclass(frozen=True, slots=True)
class FeeTransactionView:
    kind: str
    amount: Decimal
    desk: str | None
    note: str | None
    created_at: datetime


@dataclass(frozen=True, slots=True)
class FeeView:
    id: int
    fee_type: str
    owner_library: str | None  # None: the institution
    currency: str
    original: Decimal
    balance: Decimal
    status: str
    comment: str | None
    created_at: datetime
    transactions: list[FeeTransactionView]


@dataclass(frozen=True, slots=True)
class Balance:
    amount: Decimal
    currency: str


def _visible(model: IndependenceModel, scope: Scope) -> ColumnElement[bool]:
    return visible_clause(Kind.FEE, model, scope, owned_columns(Fee.owner_library_id))


async def list_fees(
    session: AsyncSession, *, actor: Principal, user_id: int, open_only: bool = False
) -> list[FeeView]:
    """The patron's visible fees with their transactions (two statements in all)."""
    facts = await common.facts(session)
    return await _views(
        session,
        _visible(facts.model, common.viewer_scope(actor)),
        Fee.user_id == user_id,
        open_only=open_only,
    )


async def _views(
    session: AsyncSession, *conditions: ColumnElement[bool], open_only: bool = False
) -> list[FeeView]:
    stmt = (
        select(Fee, Library.code)
        .outerjoin(Library, Library.id == Fee.owner_library_id)
        .where(*conditions)
        .order_by(Fee.created_at, Fee.id)
    )
    if open_only:
        stmt = stmt.where(Fee.status == FeeStatus.OPEN.value)
    rows = (await session.execute(stmt)).all()
    history: dict[int, list[FeeTransactionView]] = defaultdict(list)
    if rows:
        desk = aliased(Desk)
        tx_rows = await session.execute(
            select(FeeTransaction, desk.code, Fee.currency)
            .join(Fee, Fee.id == FeeTransaction.fee_id)
            .outerjoin(desk, desk.id == FeeTransaction.desk_id)
            .where(FeeTransaction.fee_id.in_([fee.id for fee, _ in rows]))
            .order_by(FeeTransaction.id)
        )
        for tx, desk_code, currency in tx_rows:
            history[tx.fee_id].append(
                FeeTransactionView(
                    kind=tx.kind,
                    amount=from_minor(tx.amount_minor, currency),
                    desk=desk_code,
                    note=tx.note,
                    created_at=tx.created_at,
                )
            )
    return [
        FeeView(
            id=fee.id,
            fee_type=fee.fee_type,
            owner_library=code,
            currency=fee.currency,
            original=from_minor(fee.original_minor, fee.currency),
            balance=from_minor(fee.balance_minor, fee.currency),
            status=fee.status,
            comment=fee.comment,
            created_at=fee.created_at,
            transactions=history[fee.id],
        )
        for fee, code in rows
    ]


async def fee_balance(session: AsyncSession, *, actor: Principal, user_id: int) -> Balance:
    """The sum of the patron's open fees that the operator may see, exactly."""
    facts = await common.facts(session)
    total = await session.scalar(
        select(func.coalesce(func.sum(Fee.balance_minor), 0)).where(
            Fee.user_id == user_id,
            Fee.status == FeeStatus.OPEN.value,
            _visible(facts.model, common.viewer_scope(actor)),
        )
    )
    return Balance(amount=from_minor(int(total or 0), facts.currency), currency=facts.currency)


async def _library_id(session: AsyncSession, code: str | None) -> int | None:
    if code is None:
        return None
    found = await session.scalar(select(Library.id).where(Library.code == code))
    if found is None:
        raise NotFound(f"No library {code}")
    return found


async def create_fee(
    session: AsyncSession,
    *,
    actor: Principal,
    patron_primary_id: str,
    fee_type: str,
    amount: str,
    owner_library_code: str | None,
    comment: str | None = None,
) -> FeeView:
    """Charge a fee owned by one of the operator's libraries (or the institution); commits."""
    scope = common.acting_scope(actor, common.RECORD_ROLES)
    facts = await common.facts(session)
    try:
        kind = FeeType(fee_type)
    except ValueError as exc:
        raise InvalidInput(f"Unknown fee type {fee_type}") from exc
    value = parse_amount(amount, facts.currency)
    patron = await common.find_patron(session, primary_id=patron_primary_id)
    owner = await _library_id(session, owner_library_code)
    if not may_act_on_owned(facts.model, scope, owner):
        raise NotFound(f"No library {owner_library_code} in your scope")
    fee = await add_fee(
        session,
        user_id=patron.id,
        fee_type=kind,
        owner_library_id=owner,
        currency=facts.currency,
        amount_minor=to_minor(value, facts.currency),
        comment=comment,
    )
    await session.commit()
    return (await _views(session, Fee.id == fee.id))[0]


async def add_fee(
    session: AsyncSession,
    *,
    user_id: int,
    fee_type: FeeType,
    owner_library_id: int | None,
    currency: str,
    amount_minor: int,
    comment: str | None,
    loan_id: int | None = None,
    accruing: bool = False,
    created_at: datetime | None = None,
    notify: bool = True,
) -> Fee:
    """Write a fee and (``notify``) its Fines/Fees Notification (owned by the fee owner);
    no commit. ``loan_id`` ties a fine or lost-item fee to its loan."""
    fee = Fee(
        user_id=user_id,
        fee_type=fee_type.value,
        owner_library_id=owner_library_id,
        currency=currency,
        original_minor=amount_minor,
        balance_minor=amount_minor,
        status=FeeStatus.OPEN.value,
        comment=comment,
        loan_id=loan_id,
        accruing=accruing,
        created_at=created_at or common.now(),
        version=1,
    )
    session.add(fee)
    await session.flush()
    if not notify:
        return fee
    shown = from_minor(amount_minor, currency)
    await send_letter(
        session,
        user_id=user_id,
        letter=Letter.FINES_FEES_NOTIFICATION,
        owner_library_id=letter_owner_library(
            Letter.FINES_FEES_NOTIFICATION, fee_owner=owner_library_id
        ),
        subject=f"A fee of {shown} {currency} was charged",
        body=f"A {fee_type.value.replace('_', ' ').lower()} fee of {shown} {currency}.",
    )
    return fee


async def _actionable_fee(session: AsyncSession, *, scope: Scope, fee_id: int) -> Fee:
    facts = await common.facts(session)
    fee = await session.scalar(
        select(Fee).where(Fee.id == fee_id, _visible(facts.model, scope)).with_for_update()
    )
    if fee is None or not may_act_on_owned(facts.model, scope, fee.owner_library_id):
        raise NotFound("No such fee")
    if fee.status != FeeStatus.OPEN.value:
        raise Conflict("The fee is already closed", code=ErrorCode.FEE_CLOSED)
    return fee


def _settle(fee: Fee, amount: str | None, kind: FeeTransactionKind) -> int:
    """Take ``amount`` (None: the whole balance) off the fee; return the minor units."""
    if amount is None:
        minor = fee.balance_minor
    else:
        minor = to_minor(parse_amount(amount, fee.currency), fee.currency)
    if minor > fee.balance_minor:
        raise InvalidInput(
            f"{kind.value.lower()} of {from_minor(minor, fee.currency)} exceeds the balance "
            f"{from_minor(fee.balance_minor, fee.currency)} {fee.currency}",
            code=ErrorCode.AMOUNT_EXCEEDS_BALANCE,
        )
    fee.balance_minor -= minor
    fee.version = (fee.version or 1) + 1
    if fee.balance_minor == 0:
        fee.status = FeeStatus.CLOSED.value
    return minor


async def pay_fee(
    session: AsyncSession, *, actor: Principal, fee_id: int, amount: str, desk_code: str
) -> FeeView:
    """Take a payment at a desk (partial or full); the receipt is the desk library's."""
    desk = await common.desk_for(session, actor=actor, desk_code=desk_code)
    fee = await _actionable_fee(session, scope=actor.scope(DESK_ROLES), fee_id=fee_id)
    minor = _settle(fee, amount, FeeTransactionKind.PAYMENT)
    session.add(
        FeeTransaction(
            fee_id=fee.id,
            kind=FeeTransactionKind.PAYMENT.value,
            amount_minor=minor,
            desk_id=desk.id,
            operator_id=actor.user_id,
            created_at=common.now(),
        )
    )
    paid = from_minor(minor, fee.currency)
    await send_letter(
        session,
        user_id=fee.user_id,
        letter=Letter.FINE_FEE_PAYMENT_RECEIPT,
        owner_library_id=letter_owner_library(
            Letter.FINE_FEE_PAYMENT_RECEIPT, desk_library=desk.library_id
        ),
        subject=f"Payment receipt: {paid} {fee.currency}",
        body=(
            f"We received {paid} {fee.currency}. Remaining balance of this fee: "
            f"{from_minor(fee.balance_minor, fee.currency)} {fee.currency}."
        ),
    )
    await session.commit()
    return (await _views(session, Fee.id == fee.id))[0]


async def waive_fee(
    session: AsyncSession,
    *,
    actor: Principal,
    fee_id: int,
    amount: str | None,
    reason: str | None = None,
) -> FeeView:
    """Waive part of a fee, or all of it when ``amount`` is not given; commits."""
    scope = common.acting_scope(actor, common.RECORD_ROLES)
    fee = await _actionable_fee(session, scope=scope, fee_id=fee_id)
    minor = _settle(fee, amount, FeeTransactionKind.WAIVER)
    if fee.status == FeeStatus.CLOSED.value:
        # Waived in full: an overdue fine stops growing (the staff decided its amount).
        fee.accruing = False
    session.add(
        FeeTransaction(
            fee_id=fee.id,
            kind=FeeTransactionKind.WAIVER.value,
            amount_minor=minor,
            operator_id=actor.user_id,
            note=reason,
            created_at=common.now(),
        )
    )
    await session.commit()
    return (await _views(session, Fee.id == fee.id))[0]
