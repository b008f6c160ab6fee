"""The acting member's own side: which desk its operator stands at, where patrons may pick
up. The hub asks these before it acts at the owner, so the owner gets checked labels."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from network_common.errors import NotFound

from ...store.models import Desk, Institution, Library


@dataclass(frozen=True, slots=True)
class DeskInfo:
    desk_code: str
    desk_name: str
    library_id: int  # this node's id: the hub matches it against the operator's role scope
    library_code: str
    library_name: str
    pickup_point: bool
    reply_to: str | None


@dataclass(frozen=True, slots=True)
class PickupLibrary:
    code: str
    name: str


async def desk_info(session: AsyncSession, *, desk_code: str) -> DeskInfo:
    """One of our circulation desks and its library (NOT_FOUND for an unknown code)."""
    row = (
        await session.execute(
            select(Desk, Library)
            .join(Library, Library.id == Desk.library_id)
            .where(Desk.code == desk_code)
        )
    ).first()
    if row is None:
        raise NotFound(f"No desk {desk_code}")
    desk, library = row
    reply_to = library.reply_to_email or await session.scalar(select(Institution.reply_to_email))
    return DeskInfo(
        desk_code=desk.code,
        desk_name=desk.name,
        library_id=library.id,
        library_code=library.code,
        library_name=library.name,
        pickup_point=desk.is_pickup_point,
        reply_to=reply_to,
    )


async def pickup_libraries(session: AsyncSession) -> list[PickupLibrary]:
    """Our libraries with at least one pickup-point desk, by code."""
    rows = await session.execute(
        select(Library.code, Library.name)
        .where(Library.id.in_(select(Desk.library_id).where(Desk.is_pickup_point.is_(True))))
        .order_by(Library.code)
    )
    return [PickupLibrary(code=r.code, name=r.name) for r in rows]
