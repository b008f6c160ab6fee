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


MAX_NAME = 128


async def desk_patron(session: AsyncSession, *, primary_id: str, last_name: str) -> User | None:
    """The patron a visitor at another member's desk says they are: their primary id and
    their last name (case and surrounding spaces aside) must both match. A wrong last name
    answers exactly as an unknown id, so the answer says nothing about which part failed."""
    if len(primary_id) > MAX_NAME or len(last_name) > MAX_NAME:
        raise InvalidInput(f"At most {MAX_NAME} characters per id or name")
    wanted = last_name.strip().casefold()
    if not primary_id or not wanted:
        return None
    user = await session.scalar(
        select(User).where(User.primary_id == primary_id, User.kind == UserKind.PATRON)
    )
    if user is None or user.last_name.strip().casefold() != wanted:
        return None
    return user
