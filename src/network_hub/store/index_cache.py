"""The linked-account index as this hub process sees it: its look-ups cached in memory, its
writes in one place, so no cached answer outlives a write (issue 17).

Two kinds of cached answers, in one LRU of ``max_keys`` keys:

- an identity's links, ``(home, user_id)`` -> every member's entry for it;
- a record, ``(member, local_primary_id)`` -> the entry saying that record is a linked
  account (or None).

Every write goes through :class:`LinkIndex`, which forgets, once its transaction has ended,
the answers the written rows take part in: the identity's links, the records named by the
written entries and every cached record of that identity; a full sync of a member forgets
everything. A look-up that was in flight when anything was forgotten does not store what it
read (``_version``): it may have read the rows before the write committed.

Bound: the cache only knows this process's writes, and the changes this process applies from
the members' change feeds (``services/index_sync.py``). A row written by another hub process
(another replica, another ``--workers`` worker) reaches this one's answers when this process's
own feed poll sees the member's change (within about HUB_LINK_FEED_SECONDS), or at its next
full sync: the same bound as its index freshness (``services/index_state.py``).
"""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Iterable, Sequence
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from . import index
from .index import IndexEntry

_Key = tuple[str, str, str]  # ("L", home, user_id) or ("R", member, local_primary_id)


class LinkIndex:
    def __init__(self, sessions: async_sessionmaker[AsyncSession], *, max_keys: int) -> None:
        self._sessions = sessions
        self._max_keys = max_keys
        self._cache: OrderedDict[_Key, Any] = OrderedDict()
        #: identity -> the cached record keys whose entry is of that identity.
        self._records_of: dict[tuple[str, str], set[_Key]] = {}
        #: Bumped by every invalidation: a look-up stores its answer only if unchanged.
        self._version = 0

    # -- look-ups ---------------------------------------------------------------------------

    async def links_for(self, *, home: str, user_id: str) -> list[IndexEntry]:
        """Every member's linked account for the identity ``(home, user_id)``."""
        key: _Key = ("L", home, user_id)
        hit = self._get(key)
        if hit is not None:
            return list(hit)
        version = self._version
        async with self._sessions() as session:
            links = await index.links_for(session, home=home, user_id=user_id)
        if version == self._version:
            self._put(key, tuple(links))
        return links

    async def links_and_record(
        self, *, institution: str, patron_id: str
    ) -> tuple[list[IndexEntry], IndexEntry | None]:
        """The links of identity ``(institution, patron_id)``, and the entry saying that
        ``patron_id`` at ``institution`` is itself a linked account (or None)."""
        links_key: _Key = ("L", institution, patron_id)
        record_key: _Key = ("R", institution, patron_id)
        links = self._get(links_key)
        if links is not None and record_key in self._cache:
            self._cache.move_to_end(record_key)
            return list(links), self._cache[record_key][0]
        version = self._version
        async with self._sessions() as session:
            found, record = await index.links_and_record(
                session, institution=institution, patron_id=patron_id
            )
        if version == self._version:
            self._put(links_key, tuple(found))
            self._put(record_key, (record,))
        return found, record

    def _get(self, key: _Key) -> Any:
        value = self._cache.get(key)
        if value is not None:
            self._cache.move_to_end(key)
        return value

    def _put(self, key: _Key, value: Any) -> None:
        self._cache[key] = value
        self._cache.move_to_end(key)
        if key[0] == "R" and value[0] is not None:
            entry: IndexEntry = value[0]
            self._records_of.setdefault((entry.home_institution, entry.home_user_id), set()).add(
                key
            )
        while len(self._cache) > self._max_keys:
            self._discard(next(iter(self._cache)))

    def _discard(self, key: _Key) -> None:
        value = self._cache.pop(key, None)
        if key[0] == "R" and value is not None and value[0] is not None:
            identity = (value[0].home_institution, value[0].home_user_id)
            keys = self._records_of.get(identity)
            if keys is not None:
                keys.discard(key)
                if not keys:
                    del self._records_of[identity]

    # -- writes -----------------------------------------------------------------------------

    async def record_link(self, entry: IndexEntry) -> None:
        """Insert or refresh one entry (own transaction)."""
        try:
            async with self._sessions() as session, session.begin():
                await index.record_link(session, entry)
        finally:
            self._forget([entry])

    async def drop_links(self, *, home: str, user_id: str, members: Iterable[str]) -> None:
        """Forget the given members' entries for an identity (own transaction)."""
        codes = list(members)
        try:
            async with self._sessions() as session, session.begin():
                await index.drop_links(session, home=home, user_id=user_id, members=codes)
        finally:
            self._forget_identity(home, user_id)

    async def replace_member(self, member: str, entries: list[IndexEntry]) -> None:
        """Make the index for ``member`` exactly ``entries`` (after a full sync of its list)."""
        try:
            async with self._sessions() as session, session.begin():
                await index.replace_member(session, member, entries)
        finally:
            self.clear()

    async def apply_changes(self, changes: Sequence[tuple[bool, IndexEntry]]) -> None:
        """A member's change-feed page, in order, in one transaction: ``(True, entry)``
        records the entry, ``(False, entry)`` forgets its member's entry for its identity."""
        try:
            async with self._sessions() as session, session.begin():
                for linked, entry in changes:
                    if linked:
                        await index.record_link(session, entry)
                    else:
                        await index.drop_links(
                            session,
                            home=entry.home_institution,
                            user_id=entry.home_user_id,
                            members=[entry.member_code],
                        )
        finally:
            self._forget([entry for _, entry in changes])

    def clear(self) -> None:
        """Forget every cached answer."""
        self._version += 1
        self._cache.clear()
        self._records_of.clear()

    def _forget(self, entries: Iterable[IndexEntry]) -> None:
        for entry in entries:
            self._forget_identity(entry.home_institution, entry.home_user_id)
            self._discard(("R", entry.member_code, entry.local_primary_id))

    def _forget_identity(self, home: str, user_id: str) -> None:
        """The identity's links and every cached record of it (whatever its local id)."""
        self._version += 1
        self._discard(("L", home, user_id))
        for key in list(self._records_of.get((home, user_id), ())):
            self._discard(key)

    def __len__(self) -> int:
        return len(self._cache)
