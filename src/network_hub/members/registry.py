"""The member registry: the network file's members, each with its client and breaker."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Iterable, Iterator

from ..network_file import Member
from ..settings import HubSettings
from .breaker import CircuitBreaker
from .client import CallObserver, MemberClient
from .service_tokens import ServiceTokens

log = logging.getLogger("network_hub.members")


class MemberRegistry:
    def __init__(self, clients: Iterable[MemberClient]) -> None:
        self._clients = {c.member.code: c for c in clients}
        self._probes: asyncio.Task[None] | None = None

    def start_probes(self, *, seconds: float) -> None:
        """Probe the member of every open breaker every ``seconds`` (breaker.py); 0 = off."""
        if seconds > 0 and self._probes is None:
            self._probes = asyncio.create_task(self._probe_loop(seconds), name="breaker-probes")

    async def _probe_loop(self, seconds: float) -> None:
        while True:
            await asyncio.sleep(seconds)
            opened = [c for c in self._clients.values() if c.breaker.is_open]
            if opened:
                try:
                    await asyncio.gather(*(c.probe() for c in opened))
                except Exception:  # never let one odd answer end the probes
                    log.exception("breaker probes failed")

    @classmethod
    def create(
        cls,
        members: Iterable[Member],
        *,
        settings: HubSettings,
        tokens: ServiceTokens,
        observe: CallObserver | None = None,
    ) -> MemberRegistry:
        clients = []
        for member in members:
            breaker = CircuitBreaker(
                failure_threshold=settings.breaker_failures,
                cooldown_seconds=settings.breaker_cooldown_seconds,
            )
            clients.append(
                MemberClient(
                    member,
                    tokens=tokens,
                    breaker=breaker,
                    timeout=settings.member_timeout_seconds,
                    **({"observe": observe} if observe is not None else {}),
                )
            )
        return cls(clients)

    def __iter__(self) -> Iterator[MemberClient]:
        return iter(self._clients.values())

    def __len__(self) -> int:
        return len(self._clients)

    def __contains__(self, code: object) -> bool:
        return code in self._clients

    def get(self, code: str) -> MemberClient | None:
        return self._clients.get(code)

    def member(self, code: str) -> Member | None:
        client = self._clients.get(code)
        return client.member if client is not None else None

    @property
    def members(self) -> list[Member]:
        return [c.member for c in self._clients.values()]

    async def aclose(self) -> None:
        if self._probes is not None:
            self._probes.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._probes
            self._probes = None
        await asyncio.gather(*(c.aclose() for c in self._clients.values()))
