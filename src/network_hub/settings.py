"""Hub configuration from ``HUB_*`` environment variables (pydantic-settings)."""

from __future__ import annotations

from pathlib import Path

from pydantic import Field, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from network_common.query_limits import GraphQLLimits


class HubSettings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="HUB_", env_file=None, extra="ignore")

    #: Where the hub's signing key (and the SQLite database, by default) live.
    data_dir: Path = Path("data/hub")
    #: SQLAlchemy async URL; default ``sqlite+aiosqlite:///<data_dir>/hub.db``.
    database_url: str | None = None
    #: The network file (TOML, ``[[members]]`` with code, name, url).
    network_file: Path = Path("network.toml")
    #: The hub's public base URL (its JWKS is at ``<public_url>/.well-known/jwks.json``).
    public_url: str = "http://127.0.0.1:8000"
    host: str = "127.0.0.1"
    port: int = 8000
    #: uvicorn worker processes of ``network-hub serve`` (docs/OPERATIONS.md: one per core);
    #: each keeps its own caches, breakers and index state.
    workers: int = Field(default=1, ge=1, le=64)
    #: ``iss`` of the hub's service tokens; nodes check it (NODE_HUB_ISSUER).
    issuer: str = "network-hub"
    #: Budget for one member call; a slower member becomes an ``unavailable`` entry.
    member_timeout_seconds: float = Field(default=2.0, gt=0, le=60)
    #: Consecutive failures that open a member's circuit breaker.
    breaker_failures: int = Field(default=5, ge=1)
    #: How long an open breaker refuses calls before one trial call (half-open).
    breaker_cooldown_seconds: float = Field(default=30.0, ge=0)
    #: Full linked-account index sync from every member (0 = only at start-up): the safety
    #: net behind the change feeds.
    index_sync_seconds: float = Field(default=600.0, ge=0)
    #: How often the hub polls each member's linked-account change feed (``linkChanges``),
    #: so a link created or deleted at a member reaches the index within about this long
    #: (0 = off: only full syncs). The first poll of a member is its full sync.
    link_feed_seconds: float = Field(default=1.0, ge=0, le=300)
    #: While a member's breaker is open, how often the hub probes it (its /healthz); a
    #: member that answers is used again at once instead of after the whole cooldown
    #: (0 = no probes: one trial call after the cooldown).
    breaker_probe_seconds: float = Field(default=1.0, ge=0, le=300)
    #: How long a member's self-description (``members``) is reused.
    member_info_ttl_seconds: float = Field(default=30.0, ge=0)
    #: How long a member's ended sessions (disabled staff, revoked keys) are reused.
    ended_sessions_seconds: float = Field(default=2.0, ge=0, le=300)
    #: How long a member's vetting (declared code, published keys) is trusted before the
    #: hub checks again (docs/ONBOARDING.md).
    member_check_seconds: float = Field(default=60.0, ge=0)
    #: Serve GraphiQL and introspection (switch off in production).
    introspection: bool = True
    max_depth: int = Field(default=10, ge=1)
    max_aliases: int = Field(default=30, ge=0)
    max_tokens: int = Field(default=2000, ge=10)
    #: Fields written in one query document (checked before validation).
    max_fields: int = Field(default=300, ge=1)
    #: Request bodies of /graphql and the export endpoints (bytes; more: HTTP 413).
    max_body_bytes: int = Field(default=1024 * 1024, ge=1024)
    #: The query document (characters; checked before it is parsed).
    max_query_length: int = Field(default=32 * 1024, ge=256)
    #: Any string argument, in the variables or the document (characters).
    max_string_length: int = Field(default=10_000, ge=64)
    #: Get It answer cache for anonymous answers (issue 5); 0 = off.
    getit_cache_ttl: float = Field(default=0.0, ge=0)
    #: Bearer token for /metrics; unset: /metrics answers only direct loopback clients.
    metrics_token: str | None = None
    #: Walk-in lookups of other members' patrons one operator may make per window
    #: (docs/PRIVACY_LEDGER.md); more are refused with RATE_LIMITED.
    walk_in_lookups_per_window: int = Field(default=20, ge=1)
    walk_in_lookup_window_seconds: float = Field(default=900.0, gt=0)
    #: Days the privacy ledger keeps a row (docs/PRIVACY_LEDGER.md); 0 = for ever. At least
    #: the walk-in window, whose rate limit counts the ledger's rows.
    ledger_retention_days: int = Field(default=0, ge=0)
    #: Linked-account index look-ups kept in memory per hub process (LRU; every write and
    #: feed change this process applies forgets what it touches: store/index_cache.py).
    index_cache_keys: int = Field(default=50_000, ge=1)
    #: Sync the linked-account index when the app starts.
    sync_index_on_start: bool = True

    @model_validator(mode="after")
    def _retention_covers_the_walk_in_window(self) -> HubSettings:
        if refusal := self.retention_refusal(self.ledger_retention_days):
            raise ValueError(refusal)
        return self

    def retention_refusal(self, days: int) -> str | None:
        """Why keeping the ledger ``days`` days is refused (None: it is not; 0 = for ever)."""
        if days and days * 86_400 < self.walk_in_lookup_window_seconds:
            return (
                "HUB_LEDGER_RETENTION_DAYS must keep the ledger at least as long as "
                "HUB_WALK_IN_LOOKUP_WINDOW_SECONDS (its rate limit counts the ledger's rows)"
            )
        return None

    def graphql_limits(self) -> GraphQLLimits:
        return GraphQLLimits(
            max_body_bytes=self.max_body_bytes,
            max_query_length=self.max_query_length,
            max_string_length=self.max_string_length,
            max_depth=self.max_depth,
            max_aliases=self.max_aliases,
            max_tokens=self.max_tokens,
            max_fields=self.max_fields,
        )

    def resolved_database_url(self) -> str:
        if self.database_url:
            return self.database_url
        return f"sqlite+aiosqlite:///{(self.data_dir / 'hub.db').resolve()}"
