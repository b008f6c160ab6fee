"""What a running hub holds: settings, members and their clients, keys, database."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker

from network_common.jobs import Scheduler
from network_common.keys import KeyRing, SigningKey

from .getit.cache import AnswerCache
from .ledger.writer import LedgerWriter
from .members.callers import CallerVerifier
from .members.ended_sessions import EndedSessions
from .members.info import MemberInfoCache
from .members.registry import MemberRegistry
from .members.service_tokens import ServiceTokens
from .members.vetting import MemberVetting
from .network_file import Member, load_network
from .observability import HubMetrics
from .services.index_state import IndexState
from .settings import HubSettings
from .store.db import make_engine, make_sessionmaker
from .store.index_cache import LinkIndex
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
    #: The linked-account index: cached look-ups, every write (store/index_cache.py).
    links: LinkIndex
    #: Privacy-ledger rows, group-committed (ledger/writer.py).
    ledger_writer: LedgerWriter
    #: Anonymous Get It answers (issue 5); entries live HUB_GETIT_CACHE_TTL seconds.
    getit_cache: AnswerCache = field(default_factory=AnswerCache)
    metrics: HubMetrics = field(default_factory=HubMetrics)
    scheduler: Scheduler | None = None
    #: Per member: how fresh the linked-account index is (services/index_state.py).
    index_state: IndexState = field(default_factory=lambda: IndexState(()))
    #: Background tasks started with the jobs (the change-feed poller, ...): ``stop()``ped
    #: by :meth:`close`.
    background: list[Any] = field(default_factory=list)

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
        url = settings.resolved_database_url()
        engine = make_engine(url)
        sessions = make_sessionmaker(engine)
        vetting = MemberVetting(
            registry,
            hub_kid=lambda: key.current.kid,
            hub_issuer=settings.issuer,
            ttl=settings.member_check_seconds,
        )
        return cls(
            settings=settings,
            engine=engine,
            sessions=sessions,
            keyring=key,
            registry=registry,
            callers=CallerVerifier(
                registry,
                gate=vetting.refusal,
                ended=EndedSessions(registry, ttl=settings.ended_sessions_seconds),
            ),
            vetting=vetting,
            member_info=MemberInfoCache(registry, ttl=settings.member_info_ttl_seconds),
            links=LinkIndex(sessions, max_keys=settings.index_cache_keys),
            ledger_writer=LedgerWriter.for_database(url, sessions),
            metrics=metrics,
            index_state=IndexState(m.code for m in members),
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

    def start_background(self) -> None:
        """The change-feed poller and the breakers' recovery probes (until :meth:`close`)."""
        from .services.index_sync import FIRST_SYNC_RETRY_SECONDS, FeedPoller

        s = self.settings
        # With the feeds off, each replica still makes its own first sync of every member
        # (the scheduled start-up sync runs in one replica only): its freshness is its own.
        first_sync = FIRST_SYNC_RETRY_SECONDS if s.sync_index_on_start else 0.0
        poller = FeedPoller(self, seconds=s.link_feed_seconds, first_sync_seconds=first_sync)
        poller.start()
        self.background.append(poller)
        self.registry.start_probes(seconds=self.settings.breaker_probe_seconds)

    async def close(self) -> None:
        for task in reversed(self.background):
            await task.stop()
        self.background.clear()
        if self.scheduler is not None:
            await self.scheduler.stop()
            self.scheduler = None
        await self.ledger_writer.close()
        await self.registry.aclose()
        await self.engine.dispose()
