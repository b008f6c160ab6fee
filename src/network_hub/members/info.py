"""What each member reports about itself (``member`` on its network API), cached briefly."""

from __future__ import annotations

import asyncio
import time
from dataclasses import dataclass
from typing import Any

from network_common.vocabulary import AvailabilityDisplay, RemoteRegister

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
class MemberInfo:
    """A member's ``member`` answer, decoded (its settings as enums)."""

    code: str
    name: str
    remote_register: RemoteRegister
    availability_display: AvailabilityDisplay
    cross_consortia_identifiers: bool
    pickup_anywhere: tuple[str, ...]
    return_anywhere: bool

    @classmethod
    def decode(cls, answer: Any) -> MemberInfo:
        """Raises KeyError, TypeError or ValueError for an answer off the contract."""
        if not isinstance(answer, dict):
            raise TypeError("member answer is not an object")
        return cls(
            code=str(answer["code"]),
            name=str(answer["name"]),
            remote_register=RemoteRegister(answer["uresolverRemoteRegister"]),
            availability_display=AvailabilityDisplay(answer["networkAvailabilityDisplay"]),
            cross_consortia_identifiers=bool(answer["crossConsortiaIdentifiers"]),
            pickup_anywhere=tuple(str(c) for c in answer["pickupAnywhere"]),
            return_anywhere=bool(answer["returnAnywhere"]),
        )


@dataclass(frozen=True, slots=True)
class MemberStatus:
    code: str
    name: str
    reachable: bool
    #: What the member reports about itself, or None when it did not answer.
    info: MemberInfo | None
    failure: MemberFailure | None = None


class MemberInfoCache:
    """Successful answers are reused for ``ttl`` seconds; failures are asked again next time
    (the member's breaker keeps that cheap)."""

    def __init__(self, registry: MemberRegistry, *, ttl: float) -> None:
        self._registry = registry
        self._ttl = ttl
        self._cache: dict[str, tuple[float, MemberInfo]] = {}

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
            info = MemberInfo.decode(data["member"])
        except MemberFailure as failure:
            return MemberStatus(member.code, member.name, False, None, failure)
        except (KeyError, TypeError, ValueError):
            return MemberStatus(member.code, member.name, False, None)
        self._cache[member.code] = (time.monotonic(), info)
        return MemberStatus(member.code, member.name, True, info)

    async def all(self) -> list[MemberStatus]:
        """Every member's status, asked concurrently, in network-file order."""
        return list(await asyncio.gather(*(self.status(c) for c in self._registry)))

    async def one(self, code: str) -> MemberStatus | None:
        client = self._registry.get(code)
        return None if client is None else await self.status(client)
