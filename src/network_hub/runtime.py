"""What a running hub holds: settings, members and their clients, keys, database."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Sequence
from dataclasses import dataclass, field

from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker

from network_common.keys import SigningKey, load_or_create

from .getit.cache import AnswerCache
from .members.callers import CallerVerifier
from .members.info import MemberInfoCache
from .members.registry import MemberRegistry
from .members.service_tokens import ServiceTokens
from .network_file import Member, load_network
from .observability import HubMetrics
from .settings import HubSettings
from .store.db import make_engine, make_sessionmaker
from .store.migrate import upgrade

log = logging.getLogger("network_hub")
#: How soon a sync that missed members is tried again.
RETRY_SECONDS = 30.0


@dataclass
class HubRuntime:
    settings: HubSettings
    engine: AsyncEngine
    sessions: async_sessionmaker[AsyncSession]
    signing_key: SigningKey
    registry: MemberRegistry
    callers: CallerVerifier
    member_info: MemberInfoCache
    #: Anonymous Get It answers (issue 5); entries live HUB_GETIT_CACHE_TTL seconds.
    getit_cache: AnswerCache = field(default_factory=AnswerCache)
    metrics: HubMetrics = field(default_factory=HubMetrics)
    _background: list[asyncio.Task[None]] = field(default_factory=list)

    @classmethod
    def create(cls, settings: HubSettings, members: Sequence[Member] | None = None) -> HubRuntime:
        """Build the runtime; members come from ``settings.network_file`` unless given."""
        settings.data_dir.mkdir(parents=True, exist_ok=True)
        members = members if members is not None else load_network(settings.network_file)
        key = load_or_create(settings.data_dir / "hub-signing-key.pem")
        tokens = ServiceTokens(key, issuer=settings.issuer)
        metrics = HubMetrics()
        registry = MemberRegistry.create(
            members, settings=settings, tokens=tokens, observe=metrics.observe_member_call
        )
        engine = make_engine(settings.resolved_database_url())
        return cls(
            settings=settings,
            engine=engine,
            sessions=make_sessionmaker(engine),
            signing_key=key,
            registry=registry,
            callers=CallerVerifier(registry),
            member_info=MemberInfoCache(registry, ttl=settings.member_info_ttl_seconds),
            metrics=metrics,
        )

    async def start(self) -> None:
        """Migrate the hub database and start the periodic linked-account index sync."""
        await upgrade(self.engine)
        if self.settings.sync_index_on_start or self.settings.index_sync_seconds > 0:
            self._background.append(asyncio.create_task(self._sync_loop()))

    async def _sync_loop(self) -> None:
        from .services.index_sync import sync_index

        interval = self.settings.index_sync_seconds
        run_now = self.settings.sync_index_on_start
        while True:
            complete = True
            if run_now:
                try:
                    counts = await sync_index(runtime=self)
                    complete = all(c is not None for c in counts.values())
                except Exception:  # a failed sync must not stop the loop (or the hub)
                    log.exception("linked-account index sync failed")
                    complete = False
            run_now = True
            if complete and interval <= 0:
                return
            # Members still starting (or down) are asked again soon, not in ten minutes.
            await asyncio.sleep(
                interval if complete else min(RETRY_SECONDS, interval or RETRY_SECONDS)
            )

    async def close(self) -> None:
        for task in self._background:
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task
        await self.registry.aclose()
        await self.engine.dispose()
