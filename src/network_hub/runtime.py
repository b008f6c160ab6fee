"""What a running hub holds: settings, members and their clients, keys, database."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker

from network_common.jobs import Scheduler
from network_common.keys import KeyRing, SigningKey

from .getit.cache import AnswerCache
from .members.callers import CallerVerifier
from .members.ended_sessions import EndedSessions
from .members.info import MemberInfoCache
from .members.registry import MemberRegistry
from .members.service_tokens import ServiceTokens
from .members.vetting import MemberVetting
from .network_file import Member, load_network
from .observability import HubMetrics
from .settings import HubSettings
from .store.db import make_engine, make_sessionmaker
from .store.migrate import upgrade

SIGNING_KEY_FILE = "hub-signing-key.pem"
#: A retired hub key stays published this long: past the life of its service tokens.
SERVICE_TOKEN_OVERLAP_SECONDS = 300 + 60


@dataclass
class HubRuntime:
    settings: HubSettings
    engine: AsyncEngine
    sessions: async_sessionmaker[AsyncSession]
    keyring: KeyRing
    registry: MemberRegistry
    callers: CallerVerifier
    vetting: MemberVetting
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
        key = KeyRing(settings.data_dir / SIGNING_KEY_FILE)
        tokens = ServiceTokens(key, issuer=settings.issuer)
        metrics = HubMetrics()
        registry = MemberRegistry.create(
            members, settings=settings, tokens=tokens, observe=metrics.observe_member_call
        )
        engine = make_engine(settings.resolved_database_url())
        vetting = MemberVetting(
            registry,
            hub_kid=lambda: key.current.kid,
            hub_issuer=settings.issuer,
            ttl=settings.member_check_seconds,
        )
        return cls(
            settings=settings,
            engine=engine,
            sessions=make_sessionmaker(engine),
            keyring=key,
            registry=registry,
            callers=CallerVerifier(
                registry,
                gate=vetting.refusal,
                ended=EndedSessions(registry, ttl=settings.ended_sessions_seconds),
            ),
            vetting=vetting,
            member_info=MemberInfoCache(registry, ttl=settings.member_info_ttl_seconds),
            metrics=metrics,
        )

    @property
    def signing_key(self) -> SigningKey:
        return self.keyring.current

    async def start(self) -> None:
        """Migrate the hub database (the app's lifespan then starts the jobs: ``jobs.py``)."""
        await upgrade(self.engine)

    async def start_jobs(self, scheduler: Scheduler) -> None:
        """Run ``scheduler``'s jobs until :meth:`close`."""
        self.scheduler = scheduler
        await scheduler.start()

    async def close(self) -> None:
        if self.scheduler is not None:
            await self.scheduler.stop()
            self.scheduler = None
        await self.registry.aclose()
        await self.engine.dispose()
