"""What the circulation services share: the institution's facts, the desk an operator
acts at, the patron in front of it, and the operator's visibility scope."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from network_common.errors import Forbidden, InvalidInput, NotFound
from network_common.scope import Scope
from network_common.tokens import Principal
from network_common.vocabulary import DESK_ROLES, USER_ROLES, IndependenceModel, StaffRoleType

from ...domain.vocabulary import RegistrationRoleScope, UserKind
from ...store.models import Desk, Institution, User

#: Roles that may edit a patron's record: blocks, notes, statistics, roles, fees (charge,
#: waive). "Operator - Limited" works the desk (loan, return, take payments) only.
RECORD_ROLES = USER_ROLES


def now() -> datetime:
    return datetime.now(UTC)


def fit_columns(model: Any, **values: object) -> None:
    """Refuse text longer than the column of ``model`` that will hold it (INVALID_INPUT
    naming the field), instead of letting the database fail the write."""
    for name, value in values.items():
        length = getattr(model.__table__.c[name].type, "length", None)
        if isinstance(value, str) and length is not None and len(value) > length:
            raise InvalidInput(f"{name} must not be longer than {length} characters")


@dataclass(frozen=True, slots=True)
class Facts:
    """The institution settings circulation needs."""

    code: str
    currency: str
    model: IndependenceModel
    limit_search: bool
    registration_role_scope: RegistrationRoleScope
    registration_role_days: int


async def facts(session: AsyncSession) -> Facts:
    inst = await session.scalar(select(Institution))
    if inst is None:
        raise NotFound("No institution is loaded on this node")
    return Facts(
        code=inst.code,
        currency=inst.currency,
        model=IndependenceModel(inst.fulfillment_independence_model),
        limit_search=inst.limit_user_search_by_library_scope,
        registration_role_scope=RegistrationRoleScope(inst.registration_role_scope),
        registration_role_days=inst.registration_role_days,
    )


def viewer_scope(actor: Principal) -> Scope:
    """The libraries whose records an operator sees: the union of all their roles."""
    return actor.scope()


def acting_scope(actor: Principal, roles: frozenset[StaffRoleType]) -> Scope:
    """The libraries an operator may act for through ``roles`` (refused without any)."""
    if not actor.has_any_role(roles):
        raise Forbidden("Your roles do not allow this")
    return actor.scope(roles)


async def desk_for(session: AsyncSession, *, actor: Principal, desk_code: str) -> Desk:
    """The desk the operator acts at; their desk role must cover its library."""
    desk = await session.scalar(select(Desk).where(Desk.code == desk_code))
    if desk is None:
        raise NotFound(f"No desk {desk_code}")
    if not actor.has_any_role(DESK_ROLES) or not actor.scope(DESK_ROLES).covers(desk.library_id):
        raise Forbidden(f"Your circulation desk roles do not cover desk {desk_code}")
    return desk


async def find_patron(session: AsyncSession, *, primary_id: str) -> User:
    user = await session.scalar(
        select(User).where(User.primary_id == primary_id, User.kind == UserKind.PATRON.value)
    )
    if user is None:
        raise NotFound("No such patron")
    return user


async def find_user(session: AsyncSession, *, primary_id: str) -> User:
    user = await session.scalar(select(User).where(User.primary_id == primary_id))
    if user is None:
        raise NotFound("No such user")
    return user
