"""Per-request GraphQL context for the hub: the verified caller and per-request loaders."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession
from starlette.requests import Request
from strawberry.types import Info

from network_common.errors import Unauthenticated
from network_common.tokens import Principal

from ..members.batching import FetchMany, MemberLoader
from ..runtime import HubRuntime


@dataclass
class HubContext:
    request: Request
    runtime: HubRuntime
    principal: Principal | None
    auth_error: Exception | None = None
    #: Per-request loaders, never shared between requests.
    loaders: dict[str, MemberLoader] = field(default_factory=dict)
    cache: dict[str, Any] = field(default_factory=dict)

    def session(self) -> AsyncSession:
        """A new session for one unit of work (never shared between resolvers)."""
        return self.runtime.sessions()

    def caller(self) -> Principal:
        """The verified caller (any member's staff or patron), or Unauthenticated."""
        if self.principal is None:
            if self.auth_error is not None:
                raise self.auth_error
            raise Unauthenticated("A bearer token from a member institution is required")
        return self.principal

    def loader(self, name: str, fetch: FetchMany) -> MemberLoader:
        """This request's loader called ``name`` (one batch per member per tick)."""
        loader = self.loaders.get(name)
        if loader is None:
            loader = self.loaders[name] = MemberLoader(self.runtime.registry, fetch)
        return loader


HubInfo = Info[HubContext, None]
