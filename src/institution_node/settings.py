"""Node configuration from ``NODE_*`` environment variables (pydantic-settings)."""

from __future__ import annotations

from pathlib import Path
from urllib.parse import urlsplit

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict

from network_common.query_limits import GraphQLLimits


class NodeSettings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="NODE_", env_file=None, extra="ignore")

    #: Where keys (and the SQLite database, by default) live.
    data_dir: Path = Path("data/node")
    #: SQLAlchemy async URL; default ``sqlite+aiosqlite:///<data_dir>/node.db``.
    database_url: str | None = None
    #: The public base URL of this node; used as the token issuer.
    public_url: str = "http://127.0.0.1:8001"
    host: str = "127.0.0.1"
    port: int = 8001
    #: Lifetime of operator/patron access tokens.
    token_ttl_seconds: int = Field(default=900, ge=30, le=86400)
    #: The hub's JWKS URL: network calls must carry a token signed by one of these keys.
    hub_jwks_url: str | None = None
    #: The hub's public keys given directly (a JWKS JSON document, or a file holding one);
    #: used instead of ``hub_jwks_url`` when set (tests, offline installations).
    hub_jwks_json: str | None = None
    hub_jwks_file: Path | None = None
    #: Issuer name the hub puts in its service tokens.
    hub_issuer: str = "network-hub"
    #: Serve GraphiQL and introspection (switch off in production).
    introspection: bool = True
    #: Consecutive failed password sign-ins that lock a staff account.
    login_max_failures: int = Field(default=5, ge=1, le=100)
    #: First lockout; each further failure after a lockout doubles it, up to the maximum.
    login_lockout_seconds: int = Field(default=60, ge=1, le=86400)
    login_lockout_max_seconds: int = Field(default=3600, ge=1, le=604800)
    #: OpenID Connect sign-in of staff through the institution's identity provider: its
    #: issuer URL (metadata at <issuer>/.well-known/openid-configuration), this node's
    #: client id and secret there, and the redirect URL registered with it (default
    #: <public_url>/auth/oidc/callback). Off unless issuer and client id are set.
    oidc_issuer: str | None = None
    oidc_client_id: str | None = None
    oidc_client_secret: str | None = None
    oidc_redirect_url: str | None = None
    oidc_scopes: str = "openid"
    #: Artificial delay added to network API answers (benchmarks and timeout tests only).
    network_delay_ms: int = Field(default=0, ge=0)
    #: Bearer token for /metrics; unset: /metrics answers only direct loopback clients.
    metrics_token: str | None = None
    #: Run the scheduled jobs (hold shelf, outbox delivery, ...) inside ``serve``.
    jobs_enabled: bool = True
    #: Period of the hold-shelf job: reminders, then expiry (0 = off).
    hold_shelf_job_seconds: float = Field(default=3600.0, ge=0)
    #: Period of the loan jobs: lost, overdue fines, courtesy and overdue notices (0 = off).
    loan_jobs_seconds: float = Field(default=3600.0, ge=0)
    #: Period of the outbox delivery job (letters by e-mail, protocol messages; 0 = off).
    outbox_delivery_seconds: float = Field(default=10.0, ge=0)
    #: Period of the resource sharing job: conditions past their reply-by expire, overdue
    #: messages to borrowers (0 = off).
    rs_jobs_seconds: float = Field(default=900.0, ge=0)
    #: Backoff of a failed delivery: base * 2**(attempts-1) seconds, at most the maximum.
    outbox_retry_base_seconds: float = Field(default=30.0, gt=0)
    outbox_retry_max_seconds: float = Field(default=3600.0, gt=0)
    #: Attempts before a message is given up (FAILED).
    outbox_max_attempts: int = Field(default=20, ge=1)
    #: The mail server for patron letters; unset: letters are recorded, not e-mailed.
    smtp_host: str | None = None
    smtp_port: int = Field(default=25, ge=1, le=65535)
    smtp_username: str | None = None
    smtp_password: str | None = None
    #: Implicit TLS (usually port 465).
    smtp_tls: bool = False
    #: Require STARTTLS (usually port 587); otherwise it is used when the server offers it.
    smtp_starttls: bool = False
    smtp_timeout_seconds: float = Field(default=30.0, gt=0, le=600)
    #: SMTP connections kept open (letters sent at once).
    smtp_connections: int = Field(default=4, ge=1, le=64)
    #: The envelope sender and From address of letters; default ``letters@<public host>``.
    mail_from: str | None = None
    #: The largest ISO 18626 message /iso18626 reads (larger: an ERROR confirmation, 413).
    iso18626_max_bytes: int = Field(default=256 * 1024, ge=1024)
    #: How long the outbox's ISO 18626 sender waits for a partner's confirmation.
    iso18626_timeout_seconds: float = Field(default=30.0, gt=0, le=600)
    #: Limits of both GraphQL APIs (/graphql and /network/graphql), as the hub's HUB_MAX_*.
    max_body_bytes: int = Field(default=1024 * 1024, ge=1024)
    #: The largest NCIP message ``/ncip`` reads (more: HTTP 413 with a Problem).
    ncip_max_bytes: int = Field(default=1024 * 1024, ge=1024)
    #: How long the node waits for a broker's answer to its RenewItem / RecallItem.
    ncip_timeout_seconds: float = Field(default=10.0, gt=0)
    max_query_length: int = Field(default=32 * 1024, ge=256)
    max_string_length: int = Field(default=10_000, ge=64)
    max_depth: int = Field(default=10, ge=1)
    max_aliases: int = Field(default=30, ge=0)
    max_tokens: int = Field(default=2000, ge=10)
    max_fields: int = Field(default=300, ge=1)

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

    def hub_jwks_document(self) -> str | None:
        """The configured hub JWKS (inline or from its file), if any."""
        if self.hub_jwks_json:
            return self.hub_jwks_json
        if self.hub_jwks_file is not None:
            return self.hub_jwks_file.read_text()
        return None

    def resolved_mail_from(self) -> str:
        if self.mail_from:
            return self.mail_from
        host = urlsplit(self.public_url).hostname or "localhost"
        return f"letters@{host}"

    def resolved_database_url(self) -> str:
        if self.database_url:
            return self.database_url
        return f"sqlite+aiosqlite:///{(self.data_dir / 'node.db').resolve()}"
