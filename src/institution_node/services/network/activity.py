"""Network Activity at this member: what linked accounts have here (DOMAIN §4).

One call answers many patron identities with one statement, whatever the number of patrons:
the institution, the matching linked accounts, their loans, requests and fees as one
UNION ALL (``_statement``), built once and run as Core (no ORM loading). Five statements
cost the node about 1.8 ms of CPU per call on PostgreSQL, this one 0.65 ms
(bench/bench_activity_nodes.py); one statement is also one snapshot of the data.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal
from functools import cache
from typing import Any

from sqlalchemy import (
    Integer,
    String,
    bindparam,
    cast,
    literal_column,
    null,
    select,
    union_all,
)
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.sql import Executable

from network_common.errors import InvalidInput
from network_common.models_base import UtcDateTime
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
    connection = await session.connection()
    rows = await connection.execute(
        _statement(),
        {
            "home_user_ids": sorted({i.home_user_id for i in answers}),
            "homes": sorted({i.home_institution for i in answers}),
        },
    )
    by_user: dict[int, PatronActivity] = {}
    code = name = ""
    # Rows come by kind: the institution, the users, then their loans, requests and fees.
    for r in rows:
        kind = r.kind
        if kind == _LOAN:
            if (answer := by_user.get(r.user_id)) is not None:
                answer.loans.append(_loan(r, code))
        elif kind == _REQUEST:
            if (answer := by_user.get(r.user_id)) is not None:
                answer.requests.append(_request(r))
        elif kind == _FEE:
            if (answer := by_user.get(r.user_id)) is not None:
                answer.fees.append(_fee(r, name))
        elif kind == _USER:
            found = answers.get(Identity(r.t1 or "", r.t2 or ""))
            if found is None:  # the IN lists cross-match other pairs: keep exact pairs only
                continue
            found.found = True
            found.local_primary_id = r.t3
            found.network_link_id = r.t4
            by_user[r.user_id] = found
        else:
            code, name = r.t1, r.t2
    return [answers[i] for i in dict.fromkeys(identities)]


def _loan(r: Any, own_code: str) -> ActivityLoan:
    return ActivityLoan(
        title=r.t1,
        author=r.t2,
        barcode=r.t3,
        loaned_at=r.at1,
        due_at=r.at2,
        renewals=r.n1,
        loan_institution=r.t4 or own_code,
        loan_location=r.t5 or r.t6,
        owning_library=r.t7,
    )


def _request(r: Any) -> ActivityRequest:
    return ActivityRequest(
        title=r.t1,
        author=r.t2,
        status=r.t3,
        pickup_institution=r.t4,
        pickup_location=r.t7 or r.t5 or r.t6,
        placed_at=r.at1,
        managing_library=r.t8,
        owning_library=r.t9,
        hold_shelf_expiry=r.at2,
    )


def _fee(r: Any, institution_name: str) -> ActivityFee:
    return ActivityFee(
        fee_type=r.t1,
        original=from_minor(r.n1, r.t2),
        balance=from_minor(r.n2, r.t2),
        currency=r.t2,
        owner=r.t3 or institution_name,
    )


_INSTITUTION, _USER, _LOAN, _REQUEST, _FEE = range(5)
#: Text, timestamp and number slots shared by the kinds of row (see ``_statement``).
_TEXTS, _TIMES, _NUMBERS = 9, 2, 2


@cache
def _statement() -> Executable:
    """The one statement of a call, built on first use (the mappers are configured by then).

    A UNION ALL of the institution, the linked accounts matching the identities (a CTE),
    and those accounts' active loans, active patron requests and open fees; each kind puts
    its values in shared slots (``t1``..``t9`` text, ``at1``/``at2`` timestamps, ``n1``/``n2``
    numbers) and rows come ordered by kind, then as each list is shown. One statement is
    one round trip and one snapshot of the data.
    """
    user, loan, request, fee = (m.__table__ for m in (User, Loan, Request, Fee))
    bib, item, library = BibRecord.__table__, Item.__table__, Library.__table__
    institution = Institution.__table__
    linked = (
        select(
            user.c.id,
            user.c.source_institution_code,
            user.c.source_user_id,
            user.c.primary_id,
            user.c.network_link_id,
        )
        .where(
            user.c.source_user_id.in_(bindparam("home_user_ids", expanding=True)),
            user.c.source_institution_code.in_(bindparam("homes", expanding=True)),
        )
        .cte("linked")
    )
    user_ids = select(linked.c.id).scalar_subquery()

    def row(
        kind: int,
        user_id: Any,
        sort_at: Any,
        sort_id: Any,
        texts: Sequence[Any] = (),
        times: Sequence[Any] = (),
        numbers: Sequence[Any] = (),
    ) -> list[Any]:
        def pad(values: Sequence[Any], size: int, type_: Any, prefix: str) -> list[Any]:
            padded = list(values) + [None] * (size - len(values))
            return [
                (cast(null(), type_) if v is None else v).label(f"{prefix}{n}")
                for n, v in enumerate(padded, start=1)
            ]

        return [
            literal_column(str(kind), Integer).label("kind"),
            (cast(null(), Integer) if user_id is None else user_id).label("user_id"),
            (cast(null(), UtcDateTime) if sort_at is None else sort_at).label("sort_at"),
            (cast(null(), Integer) if sort_id is None else sort_id).label("sort_id"),
            *pad(texts, _TEXTS, String, "t"),
            *pad(times, _TIMES, UtcDateTime, "at"),
            *pad(numbers, _NUMBERS, Integer, "n"),
        ]

    owner, at = library.alias("owner"), library.alias("at")
    pickup, managing = library.alias("pickup"), library.alias("managing")
    item_owner, fee_owner = library.alias("item_owner"), library.alias("fee_owner")
    branches = [
        select(*row(_INSTITUTION, None, None, None, [institution.c.code, institution.c.name])),
        select(
            *row(
                _USER,
                linked.c.id,
                None,
                None,
                [
                    linked.c.source_institution_code,
                    linked.c.source_user_id,
                    linked.c.primary_id,
                    linked.c.network_link_id,
                ],
            )
        ),
        select(
            *row(
                _LOAN,
                loan.c.user_id,
                loan.c.due_at,
                loan.c.id,
                [
                    bib.c.title,
                    bib.c.author,
                    item.c.barcode,
                    loan.c.loan_institution,
                    loan.c.loan_location_label,
                    at.c.name,
                    owner.c.name,
                ],
                [loan.c.loaned_at, loan.c.due_at],
                [loan.c.renewals],
            )
        )
        .select_from(
            loan.join(item, item.c.id == loan.c.item_id)
            .join(bib, bib.c.id == item.c.bib_id)
            .join(owner, owner.c.id == loan.c.owning_library_id)
            .outerjoin(at, at.c.id == loan.c.loan_library_id)
        )
        .where(loan.c.user_id.in_(user_ids), loan.c.status == LoanStatus.ACTIVE),
        select(
            *row(
                _REQUEST,
                request.c.user_id,
                request.c.placed_at,
                request.c.id,
                [
                    bib.c.title,
                    bib.c.author,
                    request.c.status,
                    request.c.pickup_institution,
                    request.c.pickup_library_name,
                    request.c.pickup_library_code,
                    pickup.c.name,
                    managing.c.name,
                    item_owner.c.name,
                ],
                [request.c.placed_at, request.c.hold_shelf_expiry],
            )
        )
        .select_from(
            request.join(bib, bib.c.id == request.c.bib_id)
            .outerjoin(pickup, pickup.c.id == request.c.pickup_library_id)
            .outerjoin(managing, managing.c.id == request.c.managing_library_id)
            .outerjoin(item_owner, item_owner.c.id == request.c.item_library_id)
        )
        .where(
            request.c.user_id.in_(user_ids),
            request.c.kind == RequestKind.PATRON,
            request.c.status.in_(sorted(ACTIVE_REQUESTS)),
        ),
        select(
            *row(
                _FEE,
                fee.c.user_id,
                fee.c.created_at,
                fee.c.id,
                [fee.c.fee_type, fee.c.currency, fee_owner.c.name],
                [],
                [fee.c.original_minor, fee.c.balance_minor],
            )
        )
        .select_from(fee.outerjoin(fee_owner, fee_owner.c.id == fee.c.owner_library_id))
        .where(fee.c.user_id.in_(user_ids), fee.c.status == FeeStatus.OPEN),
    ]
    return union_all(*branches).order_by(
        literal_column("kind"), literal_column("sort_at"), literal_column("sort_id")
    )
