"""Signing an operator's access token from the stored user, roles and sign-in state."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import selectinload

from network_common import tokens
from network_common.errors import Unauthenticated
from network_common.keys import SigningKey
from network_common.tokens import RoleGrant
from network_common.vocabulary import PrincipalKind, StaffRoleType

from ...domain.vocabulary import UserKind
from ...store.models import StaffLogin, StaffRole, User


async def staff_user(session: AsyncSession, user_id: int) -> User | None:
    """The staff user with roles and their libraries loaded (None for anyone else)."""
    user = await session.scalar(
        select(User)
        .where(User.id == user_id)
        .options(selectinload(User.staff_roles).selectinload(StaffRole.libraries))
    )
    return user if user is not None and user.kind == UserKind.STAFF else None


async def issue_staff_token(
    session: AsyncSession,
    *,
    user: User,
    login: StaffLogin | None,
    method: str,
    key: SigningKey,
    institution: str,
    ttl_seconds: int,
    api_key_id: str | None = None,
) -> tuple[str, int]:
    """Sign a staff token for ``user`` (roles loaded); refused when the operator is disabled."""
    if login is not None and login.disabled:
        raise Unauthenticated("This staff account is disabled")
    grants = tuple(
        RoleGrant(
            role=StaffRoleType(r.role),
            libraries=None if r.institution_wide else frozenset(x.library_id for x in r.libraries),
            consortial_services=r.consortial_services,
        )
        for r in user.staff_roles
    )
    extra: dict[str, object] = {"amr": [method], "sep": login.session_epoch if login else 0}
    if api_key_id is not None:
        extra["akid"] = api_key_id
    return tokens.issue(
        key,
        institution=institution,
        kind=PrincipalKind.STAFF,
        primary_id=user.primary_id,
        user_id=user.id,
        ttl_seconds=ttl_seconds,
        roles=grants,
        extra=extra,
    )
