"""What a running node holds: settings, database, signing key, HTTP client."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any, TypeVar

import httpx
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker

from network_common.db import make_engine, make_sessionmaker, read_only_unit
from network_common.errors import Unauthenticated
from network_common.jobs import Clock, Scheduler
from network_common.jwks import JwksCache
from network_common.keys import KeyRing, SigningKey
from network_common.observability import Metrics

from .auth.oidc import OidcClient, OidcConfig
from .auth.static_jwks import StaticJwks
from .auth.verified_tokens import VerifiedTokens
from .iso18626.metrics import Iso18626Metrics
from .iso18626.sender import Iso18626Sender
from .mail import SmtpSender, session_info
from .ncip.endpoint import NcipMetrics
from .ncip.initiator import NcipSender
from .outbox import SenderRegistry
from .settings import NodeSettings
from .store.models import Institution

SIGNING_KEY_FILE = "signing-key.pem"

T = TypeVar("T")


@dataclass
class NodeRuntime:
    settings: NodeSettings
    engine: AsyncEngine
    sessions: async_sessionmaker[AsyncSession]
    keyring: KeyRing
    http: httpx.AsyncClient
    hub_keys: JwksCache | StaticJwks | None = None
    #: Staff sign-in through the institution's identity provider (None: not configured).
    oidc: OidcClient | None = None
    #: Sessions for pure reads (no write lock on SQLite); defaults to ``sessions``.
    read_sessions: async_sessionmaker[AsyncSession] | None = None
    #: The outbox's senders by channel (e-mail, and the protocols that register theirs).
    senders: SenderRegistry = field(default_factory=SenderRegistry)
    metrics: Metrics = field(default_factory=lambda: Metrics("institution_node"))
    #: NCIP messages in and out (``ncip_messages_total``), on ``metrics``' registry.
    ncip_metrics: NcipMetrics = field(init=False)
    #: ISO 18626 messages in and out (``iso18626_messages_total``), on the same registry.
    iso18626_metrics: Iso18626Metrics = field(init=False)
    scheduler: Scheduler | None = None
    #: Hub service tokens verified here, until they expire (api/network/context.py).
    hub_tokens: VerifiedTokens[Any] = field(default_factory=VerifiedTokens)
    _institution_code: str | None = field(default=None)

    def __post_init__(self) -> None:
        self.ncip_metrics = NcipMetrics(self.metrics.registry)
        self.iso18626_metrics = Iso18626Metrics(self.metrics.registry)

    @classmethod
    def create(cls, settings: NodeSettings) -> NodeRuntime:
        settings.data_dir.mkdir(parents=True, exist_ok=True)
        # No ping per checkout: closed connections are replaced without a round trip, and
        # read-only units retry once on a fresh connection (network_common.db).
        engine = make_engine(settings.resolved_database_url(), pre_ping=False)
        http = httpx.AsyncClient(timeout=10.0)
        hub_keys: JwksCache | StaticJwks | None = None
        if settings.hub_jwks_json:
            hub_keys = StaticJwks(settings.hub_jwks_json)
        elif settings.hub_jwks_file is not None:
            hub_keys = StaticJwks.from_file(settings.hub_jwks_file)
        elif settings.hub_jwks_url:
            hub_keys = JwksCache(settings.hub_jwks_url, http)
        info = session_info(smtp_host=settings.smtp_host)
        senders = SenderRegistry()
        if settings.smtp_host:
            senders.register(
                SmtpSender(
                    host=settings.smtp_host,
                    port=settings.smtp_port,
                    mail_from=settings.resolved_mail_from(),
                    username=settings.smtp_username,
                    password=settings.smtp_password,
                    use_tls=settings.smtp_tls,
                    start_tls=settings.smtp_starttls,
                    timeout=settings.smtp_timeout_seconds,
                    connections=settings.smtp_connections,
                )
            )
        oidc = None
        if settings.oidc_issuer and settings.oidc_client_id:
            redirect = settings.oidc_redirect_url or (
                settings.public_url.rstrip("/") + "/auth/oidc/callback"
            )
            config = OidcConfig(
                issuer=settings.oidc_issuer,
                client_id=settings.oidc_client_id,
                client_secret=settings.oidc_client_secret,
                redirect_url=redirect,
                scopes=settings.oidc_scopes,
            )
            oidc = OidcClient(config, http)
        sessions = make_sessionmaker(engine, info=info)
        runtime = cls(
            oidc=oidc,
            settings=settings,
            engine=engine,
            sessions=sessions,
            read_sessions=make_sessionmaker(engine, read_only=True, info=info),
            keyring=KeyRing(settings.data_dir / SIGNING_KEY_FILE),
            http=http,
            hub_keys=hub_keys,
            senders=senders,
        )
        senders.register(
            NcipSender(
                sessions=sessions,
                http=http,
                metrics=runtime.ncip_metrics,
                timeout=settings.ncip_timeout_seconds,
            )
        )
        senders.register(
            Iso18626Sender(
                sessions=runtime.read_sessions or sessions,
                http=http,
                keyring=runtime.keyring,
                own_code=runtime.institution_code,
                timeout=settings.iso18626_timeout_seconds,
                metrics=runtime.iso18626_metrics,
            )
        )
        return runtime

    @property
    def signing_key(self) -> SigningKey:
        """The key new tokens are signed with (follows a rotation by the CLI)."""
        return self.keyring.current

    def read_session(self) -> AsyncSession:
        """A session for a read-only unit of work."""
        return (self.read_sessions or self.sessions)()

    async def read(self, work: Callable[[AsyncSession], Awaitable[T]]) -> T:
        """Run a read-only unit of work in a read session; once more on a fresh connection
        when the database had dropped the first one (a restart, a terminated backend)."""
        return await read_only_unit(self.read_sessions or self.sessions, work)

    async def institution_code(self) -> str:
        """This node's institution code (set once the institution is loaded)."""
        if self._institution_code is None:
            async with self.sessions() as session:
                code = await session.scalar(select(Institution.code))
            if code is None:
                raise Unauthenticated("This node has no institution loaded yet")
            self._institution_code = code
        return self._institution_code

    async def start(self, *, clock: Clock | None = None) -> None:
        """Start the scheduled jobs (``NODE_JOBS_ENABLED``); the app's lifespan calls it.
        ``clock``: tests move time by hand."""
        if not self.settings.jobs_enabled or self.scheduler is not None:
            return
        from .jobs import build_scheduler

        self.scheduler = build_scheduler(self, clock=clock)
        await self.scheduler.start()

    async def close(self) -> None:
        if self.scheduler is not None:
            await self.scheduler.stop()
            self.scheduler = None
        await self.senders.aclose()
        await self.http.aclose()
        await self.engine.dispose()
