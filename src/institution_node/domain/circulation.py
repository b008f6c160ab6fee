"""Loan, renewal and return rules (plain data in, decisions or errors out)."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import date, datetime, timedelta

from network_common.errors import ErrorCode, Ineligible
from network_common.vocabulary import ItemStatus, LoanStatus, NextStep


@dataclass(frozen=True, slots=True)
class PatronRoleFacts:
    library_id: int | None  # None: institution-wide
    expiry: date | None


@dataclass(frozen=True, slots=True)
class BlockFacts:
    owner_library_id: int | None  # None: the institution
    expiry: date | None
    description: str


@dataclass(frozen=True, slots=True)
class ItemFacts:
    library_id: int
    loanable: bool
    status: ItemStatus
    loan_period_days: int
    renewals_allowed: int


def role_active(role: PatronRoleFacts, today: date) -> bool:
    return role.expiry is None or role.expiry >= today


def role_covers(roles: Iterable[PatronRoleFacts], library_id: int, today: date) -> bool:
    """DOMAIN §3: a role scoped to library L lets the patron borrow only L's items."""
    return any(
        role_active(r, today) and (r.library_id is None or r.library_id == library_id)
        for r in roles
    )


def applicable_blocks(
    blocks: Iterable[BlockFacts], library_id: int, today: date
) -> list[BlockFacts]:
    """Institution blocks stop every loan; a library's block stops only its items' loans."""
    return [
        b
        for b in blocks
        if (b.expiry is None or b.expiry >= today)
        and (b.owner_library_id is None or b.owner_library_id == library_id)
    ]


def check_loan(
    *,
    item: ItemFacts,
    roles: Iterable[PatronRoleFacts],
    blocks: Iterable[BlockFacts],
    today: date,
    held_for_patron: bool = False,
    block_shown: Callable[[BlockFacts], bool] = lambda block: False,
) -> None:
    """Raise why ``item`` may not be loaned to this patron, or return quietly.

    A stopping block is quoted only if ``block_shown`` says the asker may see it (DOMAIN §7
    inside the institution; never to another member, §1)."""
    if not item.loanable:
        raise Ineligible(
            "This item's policy or terms of use do not allow this loan",
            code=ErrorCode.ITEM_NOT_LOANABLE,
        )
    if item.status is ItemStatus.ON_LOAN:
        raise Ineligible("The item is already on loan", code=ErrorCode.ITEM_ON_LOAN)
    if item.status is ItemStatus.LOST:
        raise Ineligible("The item is marked lost", code=ErrorCode.ITEM_NOT_AVAILABLE)
    if item.status in (ItemStatus.ON_HOLD_SHELF, ItemStatus.IN_TRANSIT) and not held_for_patron:
        raise Ineligible(
            "The item is reserved for another request", code=ErrorCode.ITEM_NOT_AVAILABLE
        )
    if not role_covers(roles, item.library_id, today):
        raise Ineligible(
            "The patron has no active role that covers the item's owning library",
            code=ErrorCode.PATRON_NOT_ELIGIBLE,
        )
    stopping = applicable_blocks(blocks, item.library_id, today)
    if stopping:
        shown = [b for b in stopping if block_shown(b)]
        message = f"The patron is blocked: {shown[0].description}" if shown else None
        raise Ineligible(
            message or "The patron is blocked for loans of this item",
            code=ErrorCode.PATRON_BLOCKED,
        )


def due_date(start: datetime, loan_period_days: int) -> datetime:
    return start + timedelta(days=loan_period_days)


def check_renewal(*, status: LoanStatus, renewals: int, renewals_allowed: int) -> None:
    if status is not LoanStatus.ACTIVE:
        raise Ineligible("Only active loans can be renewed", code=ErrorCode.LOAN_NOT_ACTIVE)
    if renewals >= renewals_allowed:
        raise Ineligible(
            f"The loan was already renewed {renewals} of {renewals_allowed} allowed times",
            code=ErrorCode.RENEWAL_LIMIT,
        )


def renewed_due_date(*, current_due: datetime, now: datetime, loan_period_days: int) -> datetime:
    """A renewal extends from today or the current due date, whichever is later."""
    return max(current_due, now) + timedelta(days=loan_period_days)


def next_step_after_return(*, owning_library_id: int, return_library_id: int) -> NextStep:
    """Back on the shelf when returned at its owner; otherwise in transit home."""
    if owning_library_id == return_library_id:
        return NextStep.RESHELVE
    return NextStep.TRANSIT
