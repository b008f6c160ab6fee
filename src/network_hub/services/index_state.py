"""How fresh the hub's view of each member's linked accounts is (issue 10, items 1-2).

Per member, in this hub process: the change-feed cursor the index has caught up to, and
whether the last sync (full list or feed poll) of that member worked. A member never synced
is ``NOT_READY``, one whose last sync failed is ``STALE``; Network Activity names both in
``unavailable`` (INDEX_NOT_READY / INDEX_STALE) instead of silently leaving them out, and
``/healthz`` answers "not ready" until a first sync has been tried for every member.

Each member has a lock: its full sync and its feed polls never interleave.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Iterable
from dataclasses import dataclass, field
from enum import StrEnum

from ..members.failures import UnavailableCode


class Freshness(StrEnum):
    NOT_READY = "NOT_READY"  # never synced since this hub started
    FRESH = "FRESH"  # the last sync (full list or feed poll) worked
    STALE = "STALE"  # synced once, but the last attempt failed


@dataclass
class MemberIndexState:
    #: The member's change-feed position the index holds everything up to (None: read the
    #: full list first).
    cursor: int | None = None
    freshness: Freshness = Freshness.NOT_READY
    #: A sync of this member has been tried (worked or not) since start-up.
    tried: bool = False
    synced_at: float | None = None
    lock: asyncio.Lock = field(default_factory=asyncio.Lock)


class IndexState:
    def __init__(self, codes: Iterable[str]) -> None:
        self._members = {code: MemberIndexState() for code in codes}

    def __contains__(self, code: object) -> bool:
        return code in self._members

    def member(self, code: str) -> MemberIndexState:
        return self._members.setdefault(code, MemberIndexState())

    def synced(self, code: str, *, cursor: int | None) -> None:
        """``code``'s index rows are up to date with its feed at ``cursor``."""
        state = self.member(code)
        state.cursor = cursor
        state.freshness = Freshness.FRESH
        state.tried = True
        state.synced_at = time.monotonic()

    def failed(self, code: str) -> None:
        state = self.member(code)
        state.tried = True
        if state.freshness is Freshness.FRESH:
            state.freshness = Freshness.STALE

    def freshness(self, code: str) -> Freshness:
        state = self._members.get(code)
        return state.freshness if state is not None else Freshness.NOT_READY

    def unavailable_code(self, code: str) -> UnavailableCode | None:
        """The ``unavailable`` code for a member whose links the hub may not know, or None."""
        freshness = self.freshness(code)
        if freshness is Freshness.NOT_READY:
            return UnavailableCode.INDEX_NOT_READY
        if freshness is Freshness.STALE:
            return UnavailableCode.INDEX_STALE
        return None

    def untried(self) -> list[str]:
        """Members no sync has been tried for yet (``/healthz`` is not ready while any)."""
        return [code for code, state in self._members.items() if not state.tried]

    def snapshot(self) -> dict[str, str]:
        return {code: state.freshness.value for code, state in self._members.items()}
