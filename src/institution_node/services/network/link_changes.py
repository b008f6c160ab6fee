"""The linked-account change feed the hub polls (docs/NETWORK.md, "index freshness").

Every creation and removal of a linked account writes one ``link_change`` row in the same
transaction, so the feed and the accounts can never disagree. The hub keeps the ``seq`` it
has seen and asks for what came after it; for that to lose nothing, a change with a lower
``seq`` must never become visible after one with a higher ``seq``. SQLite has one writer at a
time, so that holds by itself; on PostgreSQL two transactions could take sequence numbers in
one order and commit in the other, so writers of the feed first take a transaction-level
advisory lock: they hand out numbers and commit one after the other (linked accounts change
at human pace, so the queue is short).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from sqlalchemy import func, insert, select, text
from sqlalchemy.ext.asyncio import AsyncSession

from network_common.errors import InvalidInput
from network_common.vocabulary import LinkChangeKind

from ...store.models import LinkChange, User

#: The advisory lock key of the feed's writers (any constant shared by all of them).
FEED_LOCK = 0x6C66_6E6C  # "lfnl"
MAX_PAGE = 1000


@dataclass(frozen=True, slots=True)
class Change:
    seq: int
    kind: LinkChangeKind
    local_primary_id: str
    home_institution: str
    home_user_id: str
    network_link_id: str


@dataclass(frozen=True, slots=True)
class ChangePage:
    changes: Sequence[Change]
    #: Pass as ``after`` next time: the last ``seq`` returned, or ``after`` when none.
    cursor: int
    more: bool
    #: The cursor asked for is not (or no longer) part of this feed, e.g. the node's
    #: database was restored from an older backup: the caller must read the full list again.
    resync: bool


async def record(session: AsyncSession, *, kind: LinkChangeKind, user: User) -> None:
    """Add the change of ``user`` (a linked account, link fields still set) to the feed; the
    caller's transaction commits it."""
    if session.get_bind().dialect.name == "postgresql":
        await session.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": FEED_LOCK})
    await session.execute(
        insert(LinkChange).values(
            kind=kind.value,
            local_primary_id=user.primary_id,
            home_institution=user.source_institution_code or "",
            home_user_id=user.source_user_id or "",
            network_link_id=user.network_link_id or "",
        )
    )


async def latest(session: AsyncSession) -> int:
    """The feed's newest ``seq`` (0 while it is empty): a full list read after this moment
    holds every change up to it."""
    return int(await session.scalar(select(func.coalesce(func.max(LinkChange.seq), 0))) or 0)


async def changes_after(session: AsyncSession, *, after: int, first: int) -> ChangePage:
    """The changes after ``after``, oldest first, at most ``first``."""
    if not 1 <= first <= MAX_PAGE:
        raise InvalidInput(f"first must be between 1 and {MAX_PAGE}")
    if after < 0:
        raise InvalidInput("after cannot be negative")
    bounds = (
        await session.execute(select(func.min(LinkChange.seq), func.max(LinkChange.seq)))
    ).one()
    oldest, newest = (int(bounds[0] or 0), int(bounds[1] or 0))
    # Ahead of the feed (it restarted), or behind what is kept of it: read everything again.
    if after > newest or (oldest and after < oldest - 1):
        return ChangePage(changes=(), cursor=after, more=False, resync=True)
    rows = (
        await session.execute(
            select(
                LinkChange.seq,
                LinkChange.kind,
                LinkChange.local_primary_id,
                LinkChange.home_institution,
                LinkChange.home_user_id,
                LinkChange.network_link_id,
            )
            .where(LinkChange.seq > after)
            .order_by(LinkChange.seq)
            .limit(first + 1)
        )
    ).all()
    page = [Change(r.seq, LinkChangeKind(r.kind), r[2], r[3], r[4], r[5]) for r in rows[:first]]
    cursor = page[-1].seq if page else after
    return ChangePage(changes=page, cursor=cursor, more=len(rows) > first, resync=False)
