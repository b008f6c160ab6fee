"""Managing API keys (``institution-node keys``): operators' keys and discovery clients'.

A key is shown once, when it is made; only a digest is stored. Rotating a key makes a new
one for the same owner, label and kind and revokes the old one at once (tokens already
exchanged for it are refused on their next request).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from network_common.errors import InvalidInput, NotFound
from network_common.models_base import utcnow

from ...auth import apikeys
from ...domain.vocabulary import UserKind
from ...store.models import ApiKey, User

KINDS = ("STAFF", "DISCOVERY")


@dataclass(frozen=True, slots=True)
class KeyView:
    key_id: str
    kind: str
    owner: str | None
    label: str
    revoked: bool
    created_at: datetime
    revoked_at: datetime | None
    last_used_at: datetime | None


@dataclass(frozen=True, slots=True)
class NewKey:
    key_id: str
    secret_key: str  # the full key, to hand out once


async def create_key(session: AsyncSession, *, kind: str, label: str, user: str | None) -> NewKey:
    """A new key for a staff user (STAFF) or a trusted discovery client (DISCOVERY)."""
    if kind not in KINDS:
        raise InvalidInput(f"a key kind is one of {', '.join(KINDS)}")
    if len(label) > 255:
        raise InvalidInput("a label has at most 255 characters")
    user_id = None
    if kind == "STAFF":
        if user is None:
            raise InvalidInput("a staff key needs --user")
        row = await session.scalar(select(User).where(User.primary_id == user))
        if row is None or row.kind != UserKind.STAFF:
            raise NotFound(f"no staff user {user}")
        user_id = row.id
    elif not label.strip():
        raise InvalidInput("a discovery client's key needs a --label naming the client")
    full, key_id, digest = apikeys.generate()
    session.add(ApiKey(key_id=key_id, key_hash=digest, kind=kind, user_id=user_id, label=label))
    await session.commit()
    return NewKey(key_id=key_id, secret_key=full)


async def list_keys(session: AsyncSession, *, user: str | None = None) -> list[KeyView]:
    query = (
        select(ApiKey, User.primary_id)
        .outerjoin(User, User.id == ApiKey.user_id)
        .order_by(ApiKey.created_at, ApiKey.id)
    )
    if user is not None:
        query = query.where(User.primary_id == user)
    return [
        KeyView(
            key_id=k.key_id,
            kind=k.kind,
            owner=owner,
            label=k.label,
            revoked=k.revoked,
            created_at=k.created_at,
            revoked_at=k.revoked_at,
            last_used_at=k.last_used_at,
        )
        for k, owner in (await session.execute(query)).all()
    ]


async def _key(session: AsyncSession, key_id: str) -> ApiKey:
    row = await session.scalar(select(ApiKey).where(ApiKey.key_id == key_id))
    if row is None:
        raise NotFound(f"no API key {key_id}")
    return row


async def revoke_key(session: AsyncSession, *, key_id: str) -> None:
    """Revoke a key: no more exchanges, and its tokens are refused at once."""
    row = await _key(session, key_id)
    if not row.revoked:
        row.revoked = True
        row.revoked_at = utcnow()
    await session.commit()


async def rotate_key(session: AsyncSession, *, key_id: str) -> NewKey:
    """A new key replacing ``key_id`` (same owner, kind, label); the old one is revoked."""
    row = await _key(session, key_id)
    if row.revoked:
        raise InvalidInput(f"API key {key_id} is revoked already; create a new one instead")
    full, new_id, digest = apikeys.generate()
    session.add(
        ApiKey(key_id=new_id, key_hash=digest, kind=row.kind, user_id=row.user_id, label=row.label)
    )
    row.revoked = True
    row.revoked_at = utcnow()
    await session.commit()
    return NewKey(key_id=new_id, secret_key=full)
