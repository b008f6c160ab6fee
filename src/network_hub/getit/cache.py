"""A short-lived cache of *anonymous* member answers, per (member, detail, record).

Only answers fetched without a viewer go in, so nothing personal is ever shared between
viewers. The TTL is read at each lookup (``HUB_GETIT_CACHE_TTL``; 0 switches it off), and a
member's entries are dropped when the hub changes state there (e.g. a registration).
"""

from __future__ import annotations

import time
from collections.abc import Iterable
from typing import Any

Key = tuple[str, str, str]  # member code, detail, record id


class AnswerCache:
    def __init__(self, max_entries: int = 100_000) -> None:
        self._entries: dict[Key, tuple[float, Any]] = {}
        self._max = max_entries

    def get_many(
        self, member: str, detail: str, record_ids: Iterable[str], *, ttl: float
    ) -> dict[str, Any]:
        """The fresh entries among ``record_ids`` (record id -> cached value)."""
        if ttl <= 0:
            return {}
        now = time.monotonic()
        found: dict[str, Any] = {}
        for rid in record_ids:
            entry = self._entries.get((member, detail, rid))
            if entry is not None and now - entry[0] < ttl:
                found[rid] = entry[1]
        return found

    def put_many(self, member: str, detail: str, values: dict[str, Any], *, ttl: float) -> None:
        if ttl <= 0:
            return
        if len(self._entries) + len(values) > self._max:
            self._entries.clear()  # crude but bounded: a cache, never a store
        now = time.monotonic()
        for rid, value in values.items():
            self._entries[(member, detail, rid)] = (now, value)

    def invalidate(self, member: str) -> None:
        """Forget everything cached for ``member``."""
        for key in [k for k in self._entries if k[0] == member]:
            del self._entries[key]

    def __len__(self) -> int:
        return len(self._entries)
