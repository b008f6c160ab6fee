"""Who may call the network API (the hub, by its service token) and the per-request context.

Every request is checked before GraphQL runs (:class:`NetworkEndpoint`), and every root field
checks again through :meth:`NetworkContext.hub`, so a module added later cannot forget it.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any, TypeVar

import jwt
from sqlalchemy.ext.asyncio import AsyncSession
from starlette.requests import Request
from strawberry.types import Info

from network_common.errors import DomainError, Unauthenticated
from network_common.jwks import unverified_header_kid
from network_common.vocabulary import PrincipalKind

from ...auth.verified_tokens import Remembered
from ...runtime import NodeRuntime
from ..auth_endpoints import bearer

ALGORITHM = "ES256"
LEEWAY_SECONDS = 5
SERVICE_TYPE = PrincipalKind.SERVICE
#: One message for every refusal: a caller learns nothing about why its token failed.
REFUSED = "A valid network hub service token is required"

T = TypeVar("T")


@dataclass(frozen=True, slots=True)
class ServiceCaller:
    """The verified hub (its issuer name and the token id, for logs)."""

    issuer: str
    token_id: str | None


async def verify_service_token(token: str, runtime: NodeRuntime) -> ServiceCaller:
    """Accept only an unexpired ES256 hub token with ``aud`` = this institution, ``typ`` service.

    A token that passed is remembered until it expires (``auth/verified_tokens.py``): while
    the hub's key set still holds the key that verified it, it is not checked again."""
    if runtime.hub_keys is None:
        raise Unauthenticated(REFUSED)
    known = runtime.hub_tokens.get(token)
    if known is not None:
        try:
            current = await runtime.hub_keys.key_for(known.kid)
        except DomainError:
            current = None
        if current is known.key:
            caller: ServiceCaller = known.caller
            return caller
        runtime.hub_tokens.forget(token)
    try:
        kid = unverified_header_kid(token)
        key = await runtime.hub_keys.key_for(kid)
        claims: dict[str, Any] = jwt.decode(
            token,
            key,
            algorithms=[ALGORITHM],
            issuer=runtime.settings.hub_issuer,
            audience=await runtime.institution_code(),
            leeway=LEEWAY_SECONDS,
            options={"require": ["exp", "iat", "iss", "aud"]},
        )
    except (jwt.PyJWTError, DomainError) as exc:
        raise Unauthenticated(REFUSED) from exc
    if claims.get("typ") != SERVICE_TYPE:
        raise Unauthenticated(REFUSED)
    jti = claims.get("jti")
    verified = ServiceCaller(issuer=str(claims["iss"]), token_id=str(jti) if jti else None)
    runtime.hub_tokens.remember(
        token,
        Remembered(
            caller=verified, kid=kid, key=key, valid_until=float(claims["exp"]) + LEEWAY_SECONDS
        ),
    )
    return verified


async def caller_of(request: Request, runtime: NodeRuntime) -> ServiceCaller:
    token = bearer(request)
    if token is None:
        raise Unauthenticated(REFUSED)
    return await verify_service_token(token, runtime)


@dataclass
class NetworkContext:
    request: Request
    runtime: NodeRuntime
    caller: ServiceCaller | None
    #: Per-request cache (DataLoaders and the like), never shared between requests.
    cache: dict[str, Any] = field(default_factory=dict)

    def session(self) -> AsyncSession:
        """A new session for one unit of work (never shared between resolvers)."""
        return self.runtime.sessions()

    def read_session(self) -> AsyncSession:
        """A new read-only session (queries): never waits behind writers on SQLite."""
        return self.runtime.read_session()

    async def read(self, work: Callable[[AsyncSession], Awaitable[T]]) -> T:
        """A read-only unit of work (retried once on a dropped database connection)."""
        return await self.runtime.read(work)

    def hub(self) -> ServiceCaller:
        """The verified hub; every root field calls this first."""
        if self.caller is None:
            raise Unauthenticated(REFUSED)
        return self.caller


NetworkInfo = Info[NetworkContext, None]
