"""The linked-account index: which members hold a linked account for a patron identity."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from functools import cache
from typing import Any

from sqlalchemy import BindParameter, and_, bindparam, delete, or_, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from .models import LinkedAccountIndex


@dataclass(frozen=True, slots=True)
class IndexEntry:
    member_code: str
    home_institution: str
    home_user_id: str
    network_link_id: str
    local_primary_id: str


_COLUMNS = (
    LinkedAccountIndex.member_code,
    LinkedAccountIndex.home_institution,
    LinkedAccountIndex.home_user_id,
    LinkedAccountIndex.network_link_id,
    LinkedAccountIndex.local_primary_id,
)


@cache
def _statements() -> dict[str, Any]:
    """The per-query look-ups, built once (building them cost as much CPU as running them on
    every Network Activity query; bench/bench_side_by_side.py)."""
    t = LinkedAccountIndex
    home: BindParameter[str] = bindparam("home")
    user_id: BindParameter[str] = bindparam("user_id")
    return {
        "links_for": select(*_COLUMNS)
        .where(t.home_institution == home, t.home_user_id == user_id)
        .order_by(t.member_code),
        "links_and_record": select(*_COLUMNS)
        .where(
            or_(
                and_(t.home_institution == home, t.home_user_id == user_id),
                and_(t.member_code == home, t.local_primary_id == user_id),
            )
        )
        .order_by(t.member_code),
    }


async def links_for(session: AsyncSession, *, home: str, user_id: str) -> list[IndexEntry]:
    """Every member's linked account for the identity ``(home, user_id)``."""
    rows = await session.execute(_statements()["links_for"], {"home": home, "user_id": user_id})
    return [IndexEntry(*row) for row in rows]


async def links_and_record(
    session: AsyncSession, *, institution: str, patron_id: str
) -> tuple[list[IndexEntry], IndexEntry | None]:
    """In one statement: the links of identity ``(institution, patron_id)``, and the entry
    saying that ``patron_id`` at ``institution`` is itself a linked account (or None)."""
    rows = await session.execute(
        _statements()["links_and_record"], {"home": institution, "user_id": patron_id}
    )
    links: list[IndexEntry] = []
    record: IndexEntry | None = None
    for row in rows:
        entry = IndexEntry(*row)
        if entry.member_code == institution and entry.local_primary_id == patron_id:
            record = entry
        else:
            links.append(entry)
    return links, record


async def link_at(
    session: AsyncSession, *, member: str, local_primary_id: str
) -> IndexEntry | None:
    """The identity behind ``local_primary_id`` when that record at ``member`` is a linked one."""
    row = (
        await session.execute(
            select(*_COLUMNS).where(
                LinkedAccountIndex.member_code == member,
                LinkedAccountIndex.local_primary_id == local_primary_id,
            )
        )
    ).first()
    return IndexEntry(*row) if row is not None else None


async def record_link(session: AsyncSession, entry: IndexEntry) -> None:
    """Insert or refresh one entry (the caller commits)."""
    existing = await session.scalar(
        select(LinkedAccountIndex).where(
            LinkedAccountIndex.member_code == entry.member_code,
            LinkedAccountIndex.home_institution == entry.home_institution,
            LinkedAccountIndex.home_user_id == entry.home_user_id,
        )
    )
    if existing is not None:
        existing.network_link_id = entry.network_link_id
        existing.local_primary_id = entry.local_primary_id
        return
    try:
        async with session.begin_nested():
            session.add(_row(entry))
    except IntegrityError:
        pass  # a concurrent writer recorded the same link first; its row is as good


async def drop_links(
    session: AsyncSession, *, home: str, user_id: str, members: Iterable[str]
) -> None:
    """Forget the given members' entries for an identity (they answered found=false)."""
    codes = list(members)
    if not codes:
        return
    await session.execute(
        delete(LinkedAccountIndex).where(
            LinkedAccountIndex.home_institution == home,
            LinkedAccountIndex.home_user_id == user_id,
            LinkedAccountIndex.member_code.in_(codes),
        )
    )


async def replace_member(session: AsyncSession, member: str, entries: list[IndexEntry]) -> None:
    """Make the index for ``member`` exactly ``entries`` (after a full sync of its list)."""
    await session.execute(
        delete(LinkedAccountIndex).where(LinkedAccountIndex.member_code == member)
    )
    seen: set[tuple[str, str]] = set()
    for entry in entries:
        key = (entry.home_institution, entry.home_user_id)
        if key not in seen:
            seen.add(key)
            session.add(_row(entry))


def _row(entry: IndexEntry) -> LinkedAccountIndex:
    return LinkedAccountIndex(
        member_code=entry.member_code,
        home_institution=entry.home_institution,
        home_user_id=entry.home_user_id,
        network_link_id=entry.network_link_id,
        local_primary_id=entry.local_primary_id,
    )
