"""Loans as flat views, read with one joined column query (no ORM entities, no N+1)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, replace
from datetime import datetime
from functools import cache
from typing import Any

from sqlalchemy import ColumnElement, Select, case, func, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import aliased

from network_common.scope import Scope
from network_common.vocabulary import IndependenceModel

from ...domain.fulfilment import Terms
from ...domain.visibility import Ground, Kind
from ...store.models import BibRecord, Desk, Institution, Item, Library, Loan, User
from ...store.visibility_sql import SqlColumn, visible_clause


@dataclass(frozen=True, slots=True)
class LoanView:
    id: int
    status: str
    barcode: str
    title: str
    patron_primary_id: str
    owning_library: str
    loan_desk: str | None
    loan_library: str | None
    loaned_at: datetime
    due_at: datetime
    renewals: int
    renewals_allowed: int
    returned_at: datetime | None
    return_desk: str | None
    return_library: str | None
    #: The terms of use the loan was made under (None: made before rules existed).
    terms: Terms | None = None
    lost_at: datetime | None = None
    declared_lost_at: datetime | None = None
    #: The member where it was loaned (this institution's code, or the pickup member's:
    #: then ``loan_desk``/``loan_library`` are that member's codes, DOMAIN §6.5).
    loan_institution: str | None = None
    #: The member where it was returned (None while not returned).
    return_institution: str | None = None


def loan_visibility(kind: Kind, model: IndependenceModel, scope: Scope) -> ColumnElement[bool]:
    """Active loans follow the LOAN row of the policy, returned ones RETURNED_LOAN."""
    if kind is Kind.LOAN:
        columns: dict[Ground, SqlColumn] = {
            Ground.OWNER: Loan.owning_library_id,
            Ground.LOAN_LIBRARY: Loan.loan_library_id,
            Ground.OWN_SESSION: Loan.session_id,
        }
    else:
        columns = {
            Ground.OWNER: Loan.owning_library_id,
            Ground.RETURN_LIBRARY: Loan.return_library_id,
            Ground.OWN_SESSION: Loan.return_session_id,
        }
    return visible_clause(kind, model, scope, columns)


@cache
def _select() -> Select[*tuple[Any, ...]]:
    """The joined loan row, in LoanView's field order. Built once: constructing these
    aliased joins costs milliseconds, and a Select is immutable, so reuse is safe."""
    owner = aliased(Library)
    at_lib = aliased(Library)
    back_lib = aliased(Library)
    at_desk = aliased(Desk)
    back_desk = aliased(Desk)
    own = select(Institution.code).limit(1).scalar_subquery()
    stmt: Select[*tuple[Any, ...]] = (
        select(
            Loan.id,
            Loan.status,
            Item.barcode,
            BibRecord.title,
            User.primary_id,
            owner.code,
            # Loaned at another member: its codes (DOMAIN §6.5), kept on the loan itself.
            func.coalesce(at_desk.code, Loan.loan_desk_code),
            func.coalesce(at_lib.code, Loan.loan_library_code),
            Loan.loaned_at,
            Loan.due_at,
            Loan.renewals,
            Item.renewals_allowed,
            Loan.returned_at,
            func.coalesce(back_desk.code, Loan.return_desk_code),
            func.coalesce(back_lib.code, Loan.return_library_code),
            Loan.terms,
            Loan.lost_at,
            Loan.declared_lost_at,
            func.coalesce(Loan.loan_institution, own),
            case(
                (Loan.returned_at.is_(None), None),
                else_=func.coalesce(Loan.return_institution, own),
            ),
        )
        .join(Item, Item.id == Loan.item_id)
        .join(BibRecord, BibRecord.id == Item.bib_id)
        .join(User, User.id == Loan.user_id)
        .join(owner, owner.id == Loan.owning_library_id)
        .outerjoin(at_desk, at_desk.id == Loan.loan_desk_id)
        .outerjoin(at_lib, at_lib.id == Loan.loan_library_id)
        .outerjoin(back_desk, back_desk.id == Loan.return_desk_id)
        .outerjoin(back_lib, back_lib.id == Loan.return_library_id)
    )
    return stmt


async def loan_views(
    session: AsyncSession,
    *conditions: ColumnElement[bool],
    newest_first: bool = False,  # by return time: the loan history
    limit: int | None = None,
) -> Sequence[LoanView]:
    """Loans matching ``conditions``, in one statement."""
    order = (Loan.returned_at.desc(), Loan.id.desc()) if newest_first else (Loan.due_at, Loan.id)
    stmt = _select().where(*conditions).order_by(*order)
    if limit is not None:
        stmt = stmt.limit(limit)
    rows = (await session.execute(stmt)).all()
    return [_view(row) for row in rows]


def _view(row: Any) -> LoanView:
    view = LoanView(*row)
    if view.terms is None:
        return view
    terms = Terms.from_dict(view.terms)  # type: ignore[arg-type]  # JSON from the row
    # The loan's own terms, not the item's policy today.
    return replace(view, terms=terms, renewals_allowed=terms.renewals_allowed)
