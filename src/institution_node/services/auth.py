"""Exchanging API keys for access tokens; patron tokens for trusted discovery clients."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import selectinload

from network_common import tokens
from network_common.errors import Forbidden, NotFound, Unauthenticated
from network_common.keys import SigningKey
from network_common.tokens import Principal, RoleGrant
from network_common.vocabulary import StaffRoleType, UserKind

from ..auth import apikeys
from ..store.models import ApiKey, StaffRole, User


async def exchange_api_key(
    session: AsyncSession,
    *,
    api_key: str,
    key: SigningKey,
    institution: str,
    ttl_seconds: int,
) -> tuple[str, int]:
    """Check an API key and sign an access token (a new staff session) for its owner."""
    key_id, secret = apikeys.split(api_key)
    row = await session.scalar(select(ApiKey).where(ApiKey.key_id == key_id))
    if row is None or row.revoked or not apikeys.matches(secret, row.key_hash):
        raise Unauthenticated("The API key is not valid")
    if row.kind == "DISCOVERY":
        return tokens.issue(
            key,
            institution=institution,
            kind="discovery",
            primary_id=f"client:{row.label or row.key_id}",
            user_id=None,
            ttl_seconds=ttl_seconds,
        )
    user = await session.scalar(
        select(User)
        .where(User.id == row.user_id)
        .options(selectinload(User.staff_roles).selectinload(StaffRole.libraries))
    )
    if user is None or user.kind != UserKind.STAFF:
        raise Unauthenticated("The API key is not valid")
    grants = tuple(
        RoleGrant(
            role=StaffRoleType(r.role),
            libraries=None if r.institution_wide else frozenset(x.library_id for x in r.libraries),
            consortial_services=r.consortial_services,
        )
        for r in user.staff_roles
    )
    return tokens.issue(
        key,
        institution=institution,
        kind="staff",
        primary_id=user.primary_id,
        user_id=user.id,
        ttl_seconds=ttl_seconds,
        roles=grants,
    )


async def patron_token(
    session: AsyncSession,
    *,
    caller: Principal,
    primary_id: str,
    key: SigningKey,
    institution: str,
    ttl_seconds: int,
) -> tuple[str, int]:
    """A trusted discovery client (which has authenticated the patron itself, e.g. by SSO)
    obtains an access token for one of this institution's own patrons."""
    if caller.kind != "discovery":
        raise Forbidden("Only a trusted discovery client may obtain patron tokens")
    user = await session.scalar(select(User).where(User.primary_id == primary_id))
    if user is None or user.kind != UserKind.PATRON or user.is_linked:
        raise NotFound("No such patron")
    return tokens.issue(
        key,
        institution=institution,
        kind="patron",
        primary_id=user.primary_id,
        user_id=user.id,
        ttl_seconds=ttl_seconds,
    )
