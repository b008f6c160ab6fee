"""Looking up and searching users; a patron's loans and loan history (DOMAIN §7 applied)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date

from sqlalchemy import Select, exists, func, or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from network_common.errors import InvalidInput, NotFound
from network_common.scope import Scope
from network_common.tokens import Principal
from network_common.vocabulary import LoanStatus

from ...domain.visibility import Kind
from ...domain.vocabulary import UserKind
from ...store.models import Library, Loan, PatronRole, User
from ..circulation import common
from ..circulation.views import LoanView, loan_views, loan_visibility

MAX_SEARCH = 100


@dataclass(frozen=True, slots=True)
class PatronRoleView:
    id: int
    library: str | None  # None: institution-wide
    expiry_date: date | None


async def get_user(session: AsyncSession, *, actor: Principal, primary_id: str) -> User:
    """A user by primary id (any operator; the record's parts apply visibility). With
    ``limit_user_search_by_library_scope`` the lookup follows the same limit as search: a
    library-scoped operator finds only patrons holding a role of their libraries; anyone
    else gets the answer of a missing id."""
    user = await common.find_user(session, primary_id=primary_id)
    facts = await common.facts(session)
    scope = common.viewer_scope(actor)
    if facts.limit_search and not scope.institution:
        in_scope = user.kind == UserKind.PATRON.value and await session.scalar(
            select(PatronRole.id)
            .where(
                PatronRole.user_id == user.id,
                PatronRole.library_id.in_(sorted(scope.libraries)),
            )
            .limit(1)
        )
        if not in_scope:
            raise NotFound("No such user")
    return user


def _limited(stmt: Select[User], scope: Scope) -> Select[User]:
    """Search's limit: patrons holding a role scoped to one of the operator's libraries."""
    return stmt.where(
        User.kind == UserKind.PATRON.value,
        exists(
            select(PatronRole.id).where(
                PatronRole.user_id == User.id,
                PatronRole.library_id.in_(sorted(scope.libraries)),
            )
        ),
    )


async def search_users(
    session: AsyncSession, *, actor: Principal, text: str, limit: int
) -> Sequence[User]:
    """Users whose name, primary id or e-mail contains ``text``; with
    ``limit_user_search_by_library_scope`` only patrons with a role in the operator's
    libraries (institution-scoped operators are not limited)."""
    needle = text.strip().lower()
    if len(needle) < 2:
        raise InvalidInput("Search for at least two characters")
    if not 1 <= limit <= MAX_SEARCH:
        raise InvalidInput(f"limit must be between 1 and {MAX_SEARCH}")
    facts = await common.facts(session)
    stmt = select(User).where(
        or_(
            func.lower(User.primary_id).contains(needle, autoescape=True),
            func.lower(User.first_name + " " + User.last_name).contains(needle, autoescape=True),
            func.lower(User.last_name + ", " + User.first_name).contains(needle, autoescape=True),
            func.lower(User.email).contains(needle, autoescape=True),
        )
    )
    scope = common.viewer_scope(actor)
    if facts.limit_search and not scope.institution:
        stmt = _limited(stmt, scope)
    stmt = stmt.order_by(User.last_name, User.first_name, User.id).limit(limit)
    return (await session.scalars(stmt)).all()


async def patron_roles(session: AsyncSession, *, user_id: int) -> list[PatronRoleView]:
    """The patron's roles with the library each is scoped to."""
    rows = await session.execute(
        select(PatronRole.id, Library.code, PatronRole.expiry_date)
        .outerjoin(Library, Library.id == PatronRole.library_id)
        .where(PatronRole.user_id == user_id)
        .order_by(PatronRole.id)
    )
    return [PatronRoleView(*r) for r in rows]


async def active_loans(
    session: AsyncSession, *, actor: Principal, user_id: int
) -> Sequence[LoanView]:
    """The patron's active loans the operator may see, soonest due first."""
    facts = await common.facts(session)
    return await loan_views(
        session,
        Loan.user_id == user_id,
        Loan.status == LoanStatus.ACTIVE.value,
        loan_visibility(Kind.LOAN, facts.model, common.viewer_scope(actor)),
    )


async def loan_history(
    session: AsyncSession, *, actor: Principal, user_id: int, limit: int = 100
) -> Sequence[LoanView]:
    """The patron's returned loans the operator may see, newest first."""
    facts = await common.facts(session)
    return await loan_views(
        session,
        Loan.user_id == user_id,
        Loan.status == LoanStatus.RETURNED.value,
        loan_visibility(Kind.RETURNED_LOAN, facts.model, common.viewer_scope(actor)),
        newest_first=True,
        limit=min(max(limit, 1), 500),
    )
