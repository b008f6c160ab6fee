"""What a running hub holds: settings, members and their clients, keys, database."""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker

from network_common.jobs import Job, RunAgain, Scheduler
from network_common.keys import SigningKey, load_or_create
from network_common.observability import JobMetrics

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
from .store.models import JOB_RUN

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
    scheduler: Scheduler | None = None

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
        """Migrate the hub database and start the scheduled jobs (the index sync)."""
        await upgrade(self.engine)
        self.scheduler = self.build_scheduler()
        await self.scheduler.start()

    def build_scheduler(self) -> Scheduler:
        """The hub's jobs. ``index-sync``: every HUB_INDEX_SYNC_SECONDS (and at start-up with
        HUB_SYNC_INDEX_ON_START); members that did not answer are asked again after
        RETRY_SECONDS. With several replicas one of them runs it per period."""
        scheduler = Scheduler(self.engine, table=JOB_RUN, metrics=JobMetrics(self.metrics.registry))
        s = self.settings
        if s.sync_index_on_start or s.index_sync_seconds > 0:
            scheduler.add(
                Job(
                    "index-sync",
                    interval=s.index_sync_seconds,
                    run=self._index_sync_job,
                    run_at_start=s.sync_index_on_start,
                    retry_seconds=min(RETRY_SECONDS, s.index_sync_seconds or RETRY_SECONDS),
                )
            )
        return scheduler

    async def _index_sync_job(self, *, now: datetime) -> RunAgain | None:
        from .services.index_sync import sync_index

        counts = await sync_index(runtime=self)
        if any(c is None for c in counts.values()):
            # Members still starting (or down) are asked again soon, not in ten minutes.
            return RunAgain(min(RETRY_SECONDS, self.settings.index_sync_seconds or RETRY_SECONDS))
        return None

    async def close(self) -> None:
        if self.scheduler is not None:
            await self.scheduler.stop()
            self.scheduler = None
        await self.registry.aclose()
        await self.engine.dispose()
