"""Exchanging API keys for access tokens; patron tokens for trusted discovery clients."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from network_common import tokens
from network_common.errors import Forbidden, NotFound, Unauthenticated
from network_common.keys import SigningKey
from network_common.models_base import utcnow
from network_common.tokens import Principal
from network_common.vocabulary import PrincipalKind

from ..auth import apikeys
from ..domain.vocabulary import UserKind
from ..store.models import ApiKey, StaffLogin, User
from .staff_access.tokens import issue_staff_token, staff_user


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
        token = tokens.issue(
            key,
            institution=institution,
            kind=PrincipalKind.DISCOVERY,
            primary_id=f"client:{row.label or row.key_id}",
            user_id=None,
            ttl_seconds=ttl_seconds,
            extra={"akid": row.key_id, "amr": ["apikey"]},
        )
    else:
        user = None if row.user_id is None else await staff_user(session, row.user_id)
        if user is None:
            raise Unauthenticated("The API key is not valid")
        token = await issue_staff_token(
            session,
            user=user,
            login=await session.get(StaffLogin, user.id),
            method="apikey",
            key=key,
            institution=institution,
            ttl_seconds=ttl_seconds,
            api_key_id=row.key_id,
        )
    row.last_used_at = utcnow()
    await session.commit()
    return token


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
    if caller.kind != PrincipalKind.DISCOVERY:
        raise Forbidden("Only a trusted discovery client may obtain patron tokens")
    user = await session.scalar(select(User).where(User.primary_id == primary_id))
    if user is None or user.kind != UserKind.PATRON or user.is_linked:
        raise NotFound("No such patron")
    return tokens.issue(
        key,
        institution=institution,
        kind=PrincipalKind.PATRON,
        primary_id=user.primary_id,
        user_id=user.id,
        ttl_seconds=ttl_seconds,
    )
