"""This member's own patrons as the network may see them: limited information only."""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from network_common.errors import InvalidInput

from ...domain.vocabulary import UserKind
from ...store.models import User

MAX_IDS = 500


async def home_patrons(session: AsyncSession, *, primary_ids: Sequence[str]) -> Sequence[User]:
    """Patron records by primary id (unknown ids and staff are simply absent)."""
    if len(primary_ids) > MAX_IDS:
        raise InvalidInput(f"At most {MAX_IDS} primary ids per call")
    if not primary_ids:
        return []
    return (
        await session.scalars(
            select(User)
            .where(User.primary_id.in_(set(primary_ids)), User.kind == UserKind.PATRON)
            .order_by(User.primary_id)
        )
    ).all()
