"""Network Activity at this member: what linked accounts have here (DOMAIN §4).

One call answers many patron identities with a fixed number of statements (users, loans,
requests, fees, institution), whatever the number of patrons. The statements are built once
(``_statements``) with expanding parameters: building the joined selects with their aliases
cost about as much CPU per call as running them (bench/bench_activity_nodes.py).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal
from functools import cache
from typing import Any

from sqlalchemy import BindParameter, bindparam, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import aliased

from network_common.errors import InvalidInput
from network_common.vocabulary import LoanStatus

from ...domain.money import from_minor
from ...domain.requests import ACTIVE as ACTIVE_REQUESTS
from ...domain.requests import RequestKind
from ...domain.vocabulary import FeeStatus
from ...store.models import BibRecord, Fee, Institution, Item, Library, Loan, Request, User

MAX_IDENTITIES = 500


@dataclass(frozen=True, slots=True)
class Identity:
    home_institution: str
    home_user_id: str


@dataclass(frozen=True, slots=True)
class ActivityLoan:
    title: str
    author: str | None
    barcode: str
    loaned_at: datetime
    due_at: datetime
    renewals: int
    loan_institution: str
    loan_location: str | None
    owning_library: str


@dataclass(frozen=True, slots=True)
class ActivityRequest:
    title: str
    author: str | None
    status: str
    pickup_institution: str
    pickup_location: str | None
    placed_at: datetime
    managing_library: str | None
    owning_library: str | None
    #: Until when it waits on the hold shelf (ON_HOLD_SHELF only).
    hold_shelf_expiry: datetime | None = None


@dataclass(frozen=True, slots=True)
class ActivityFee:
    fee_type: str
    original: Decimal
    balance: Decimal
    currency: str
    owner: str


@dataclass
class PatronActivity:
    identity: Identity
    found: bool = False
    local_primary_id: str | None = None
    network_link_id: str | None = None
    loans: list[ActivityLoan] = field(default_factory=list)
    requests: list[ActivityRequest] = field(default_factory=list)
    fees: list[ActivityFee] = field(default_factory=list)


async def network_activity(
    session: AsyncSession, *, identities: Sequence[Identity]
) -> list[PatronActivity]:
    """Active loans, active patron requests and open fees of each identity's linked account.

    Only linked accounts answer: an identity without one here (including this institution's
    own patrons) is ``found = False`` with nothing else.
    """
    if len(identities) > MAX_IDENTITIES:
        raise InvalidInput(f"At most {MAX_IDENTITIES} patrons per call")
    answers = {i: PatronActivity(identity=i) for i in identities}
    if not answers:
        return []
    statements = _statements()
    users = (
        await session.execute(
            statements["users"],
            {
                "home_user_ids": sorted({i.home_user_id for i in answers}),
                "homes": sorted({i.home_institution for i in answers}),
            },
        )
    ).all()
    by_user: dict[int, PatronActivity] = {}
    for row in users:
        answer = answers.get(Identity(row.source_institution_code or "", row.source_user_id or ""))
        if answer is None:  # the IN lists cross-match other pairs: keep exact pairs only
            continue
        answer.found = True
        answer.local_primary_id = row.primary_id
        answer.network_link_id = row.network_link_id
        by_user[row.id] = answer
    if by_user:
        institution = (await session.execute(statements["institution"])).one()
        ids = list(by_user)
        for user_id, loan in await _loans(session, statements, ids, institution.code):
            by_user[user_id].loans.append(loan)
        for user_id, request in await _requests(session, statements, ids):
            by_user[user_id].requests.append(request)
        for user_id, fee in await _fees(session, statements, ids, institution.name):
            by_user[user_id].fees.append(fee)
    return [answers[i] for i in dict.fromkeys(identities)]


@cache
def _statements() -> dict[str, Any]:
    """The statements of one call, built on first use (the mappers are configured by then)."""
    user_ids: BindParameter[list[int]] = bindparam("user_ids", expanding=True)
    users = select(
        User.id,
        User.source_institution_code,
        User.source_user_id,
        User.primary_id,
        User.network_link_id,
    ).where(
        User.source_user_id.in_(bindparam("home_user_ids", expanding=True)),
        User.source_institution_code.in_(bindparam("homes", expanding=True)),
    )
    owner = aliased(Library)
    at = aliased(Library)
    loans = (
        select(
            Loan.user_id,
            BibRecord.title,
            BibRecord.author,
            Item.barcode,
            Loan.loaned_at,
            Loan.due_at,
            Loan.renewals,
            Loan.loan_institution,
            Loan.loan_location_label,
            at.name.label("loan_library"),
            owner.name.label("owning_library"),
        )
        .join(Item, Item.id == Loan.item_id)
        .join(BibRecord, BibRecord.id == Item.bib_id)
        .join(owner, owner.id == Loan.owning_library_id)
        .outerjoin(at, at.id == Loan.loan_library_id)
        .where(Loan.user_id.in_(user_ids), Loan.status == LoanStatus.ACTIVE)
        .order_by(Loan.due_at, Loan.id)
    )
    pickup = aliased(Library)
    managing = aliased(Library)
    item_owner = aliased(Library)
    requests = (
        select(
            Request.user_id,
            BibRecord.title,
            BibRecord.author,
            Request.status,
            Request.pickup_institution,
            Request.pickup_library_name,
            Request.pickup_library_code,
            pickup.name.label("pickup_library"),
            Request.placed_at,
            Request.hold_shelf_expiry,
            managing.name.label("managing_library"),
            item_owner.name.label("owning_library"),
        )
        .join(BibRecord, BibRecord.id == Request.bib_id)
        .outerjoin(pickup, pickup.id == Request.pickup_library_id)
        .outerjoin(managing, managing.id == Request.managing_library_id)
        .outerjoin(item_owner, item_owner.id == Request.item_library_id)
        .where(
            Request.user_id.in_(user_ids),
            Request.kind == RequestKind.PATRON,
            Request.status.in_(sorted(ACTIVE_REQUESTS)),
        )
        .order_by(Request.placed_at, Request.id)
    )
    fees = (
        select(
            Fee.user_id,
            Fee.fee_type,
            Fee.original_minor,
            Fee.balance_minor,
            Fee.currency,
            Library.name.label("owner"),
        )
        .outerjoin(Library, Library.id == Fee.owner_library_id)
        .where(Fee.user_id.in_(user_ids), Fee.status == FeeStatus.OPEN)
        .order_by(Fee.created_at, Fee.id)
    )
    return {
        "users": users,
        "institution": select(Institution.code, Institution.name),
        "loans": loans,
        "requests": requests,
        "fees": fees,
    }


async def _loans(
    session: AsyncSession, statements: dict[str, Any], user_ids: list[int], own_code: str
) -> list[tuple[int, ActivityLoan]]:
    rows = await session.execute(statements["loans"], {"user_ids": user_ids})
    return [
        (
            r.user_id,
            ActivityLoan(
                title=r.title,
                author=r.author,
                barcode=r.barcode,
                loaned_at=r.loaned_at,
                due_at=r.due_at,
                renewals=r.renewals,
                loan_institution=r.loan_institution or own_code,
                loan_location=r.loan_location_label or r.loan_library,
                owning_library=r.owning_library,
            ),
        )
        for r in rows
    ]


async def _requests(
    session: AsyncSession, statements: dict[str, Any], user_ids: list[int]
) -> list[tuple[int, ActivityRequest]]:
    rows = await session.execute(statements["requests"], {"user_ids": user_ids})
    return [
        (
            r.user_id,
            ActivityRequest(
                title=r.title,
                author=r.author,
                status=r.status,
                pickup_institution=r.pickup_institution,
                pickup_location=r.pickup_library or r.pickup_library_name or r.pickup_library_code,
                placed_at=r.placed_at,
                managing_library=r.managing_library,
                owning_library=r.owning_library,
                hold_shelf_expiry=r.hold_shelf_expiry,
            ),
        )
        for r in rows
    ]


async def _fees(
    session: AsyncSession, statements: dict[str, Any], user_ids: list[int], institution_name: str
) -> list[tuple[int, ActivityFee]]:
    rows = await session.execute(statements["fees"], {"user_ids": user_ids})
    return [
        (
            r.user_id,
            ActivityFee(
                fee_type=r.fee_type,
                original=from_minor(r.original_minor, r.currency),
                balance=from_minor(r.balance_minor, r.currency),
                currency=r.currency,
                owner=r.owner or institution_name,
            ),
        )
        for r in rows
    ]
