"""What each member reports about itself (``member`` on its network API), cached briefly."""

from __future__ import annotations

import asyncio
import time
from dataclasses import dataclass
from typing import Any

from .client import MemberClient
from .failures import MemberFailure
from .registry import MemberRegistry

MEMBER_QUERY = """
query HubMember {
  member {
    code name uresolverRemoteRegister networkAvailabilityDisplay
    crossConsortiaIdentifiers pickupAnywhere returnAnywhere
  }
}
"""


@dataclass(frozen=True, slots=True)
class MemberStatus:
    code: str
    name: str
    reachable: bool
    #: The member's own answer (camelCase keys as on its network API), or None.
    info: dict[str, Any] | None
    failure: MemberFailure | None = None


class MemberInfoCache:
    """Successful answers are reused for ``ttl`` seconds; failures are asked again next time
    (the member's breaker keeps that cheap)."""

    def __init__(self, registry: MemberRegistry, *, ttl: float) -> None:
        self._registry = registry
        self._ttl = ttl
        self._cache: dict[str, tuple[float, dict[str, Any]]] = {}

    def invalidate(self, code: str | None = None) -> None:
        if code is None:
            self._cache.clear()
        else:
            self._cache.pop(code, None)

    async def status(self, client: MemberClient) -> MemberStatus:
        member = client.member
        cached = self._cache.get(member.code)
        if cached is not None and time.monotonic() - cached[0] < self._ttl:
            return MemberStatus(member.code, member.name, True, cached[1])
        try:
            data = await client.query(MEMBER_QUERY)
            info = data["member"]
            if not isinstance(info, dict):
                raise TypeError("member answer is not an object")
        except MemberFailure as failure:
            return MemberStatus(member.code, member.name, False, None, failure)
        except (KeyError, TypeError):
            return MemberStatus(member.code, member.name, False, None)
        self._cache[member.code] = (time.monotonic(), info)
        return MemberStatus(member.code, member.name, True, info)

    async def all(self) -> list[MemberStatus]:
        """Every member's status, asked concurrently, in network-file order."""
        return list(await asyncio.gather(*(self.status(c) for c in self._registry)))

    async def one(self, code: str) -> MemberStatus | None:
        client = self._registry.get(code)
        return None if client is None else await self.status(client)
