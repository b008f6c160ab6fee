"""Hub service tokens this node has verified, remembered until they expire.

The hub signs one token per member and reuses it for minutes (NETWORK.md), so checking its
ES256 signature on every network call is repeated work (about a tenth of a millisecond of
CPU per call, a twentieth of a Network Activity call). A token is remembered with its
caller, its expiry and the key that verified it; it counts as verified again only while it
is unexpired (with the same leeway as the full check) and while the hub's key set still
holds that very key under its ``kid``, so a key the hub withdraws refuses its tokens at once.
Only tokens that passed the full check are remembered; the exact token text is the key, so
nothing about its claims can differ.
"""

from __future__ import annotations

import time
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Generic, TypeVar

T = TypeVar("T")
MAX_ENTRIES = 256


@dataclass(frozen=True, slots=True)
class Remembered(Generic[T]):
    caller: T
    kid: str | None
    #: The public key object that verified the token (compared by identity).
    key: Any
    #: Until when (Unix time) the token counts as unexpired.
    valid_until: float


class VerifiedTokens(Generic[T]):
    """A bounded LRU of verified tokens (least recently used dropped first)."""

    def __init__(
        self, *, max_entries: int = MAX_ENTRIES, clock: Callable[[], float] = time.time
    ) -> None:
        self._entries: OrderedDict[str, Remembered[T]] = OrderedDict()
        self._max = max_entries
        self.clock = clock

    def __len__(self) -> int:
        return len(self._entries)

    def get(self, token: str) -> Remembered[T] | None:
        """The remembered verification of ``token`` while it is unexpired."""
        entry = self._entries.get(token)
        if entry is None:
            return None
        if self.clock() >= entry.valid_until:
            del self._entries[token]
            return None
        self._entries.move_to_end(token)
        return entry

    def remember(self, token: str, entry: Remembered[T]) -> None:
        self._entries[token] = entry
        self._entries.move_to_end(token)
        while len(self._entries) > self._max:
            self._entries.popitem(last=False)

    def forget(self, token: str) -> None:
        self._entries.pop(token, None)
