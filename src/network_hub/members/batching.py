"""Per-request batching: every key a query asks a member about goes out in one document.

Keys are ``(member_code, key)``. A loader is built per request (never shared), collects the
keys that resolvers load in the same tick, groups them by member and calls each member once,
all members concurrently. A member that fails answers every one of its keys with its
``MemberFailure`` (``load`` raises it), so callers turn it into an ``unavailable`` entry.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Hashable, Mapping, Sequence
from typing import Any

from aiodataloader import DataLoader

from .client import MemberClient
from .failures import MemberFailure, UnavailableCode
from .registry import MemberRegistry

MemberKey = tuple[str, Hashable]
#: Fetch the answers for ``keys`` from one member: key -> value (absent keys give None).
FetchMany = Callable[[MemberClient, list[Any]], Awaitable[Mapping[Any, Any]]]


class MemberLoader(DataLoader[MemberKey, Any]):
    def __init__(self, registry: MemberRegistry, fetch: FetchMany) -> None:
        super().__init__()
        self._registry = registry
        self._fetch = fetch
        self._once_asked: list[Callable[[], object]] = []

    def once_asked(self, callback: Callable[[], object]) -> None:
        """Call ``callback`` (in the event loop) right after the next batch's member calls
        have started: each has sent its document by then, unless it waits for a connection.
        For work that goes alongside the calls but need not go before them (the privacy
        ledger's write: sent first, its CPU and its database's wake-up delayed every
        member's call on a busy machine)."""
        self._once_asked.append(callback)

    async def batch_load_fn(self, keys: Sequence[MemberKey]) -> list[Any]:
        by_member: dict[str, list[Any]] = {}
        for code, key in keys:
            by_member.setdefault(code, []).append(key)
        codes = list(by_member)
        # Each call's first step (up to its send) is queued before the callbacks: the loop
        # runs ready callbacks in order.
        calls = [asyncio.ensure_future(self._one(code, by_member[code])) for code in codes]
        loop = asyncio.get_running_loop()
        for callback in self._once_asked:
            loop.call_soon(callback)
        self._once_asked = []
        answers = await asyncio.gather(*calls)
        results = dict(zip(codes, answers, strict=True))
        out: list[Any] = []
        for code, key in keys:
            answer = results[code]
            out.append(answer if isinstance(answer, MemberFailure) else answer.get(key))
        return out

    async def _one(self, code: str, keys: list[Any]) -> Mapping[Any, Any] | MemberFailure:
        client = self._registry.get(code)
        if client is None:
            return MemberFailure(code, code, UnavailableCode.MEMBER_UNAVAILABLE)
        try:
            return await self._fetch(client, keys)
        except MemberFailure as failure:
            return failure
        except (KeyError, TypeError, ValueError):
            # The member answered something that does not follow the contract.
            return MemberFailure(code, client.member.name, UnavailableCode.MEMBER_ERROR)


async def load_settled(loader: MemberLoader, keys: Sequence[MemberKey]) -> list[Any]:
    """Load ``keys`` in one batch; failures come back as MemberFailure values, not raised."""
    results = await asyncio.gather(*(loader.load(k) for k in keys), return_exceptions=True)
    for result in results:
        if isinstance(result, BaseException) and not isinstance(result, MemberFailure):
            raise result
    return list(results)
