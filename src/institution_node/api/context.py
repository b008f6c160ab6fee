"""Per-request GraphQL context for the staff API: the caller and per-request loaders."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession
from starlette.requests import Request
from strawberry.types import Info

from network_common.errors import Forbidden, Unauthenticated
from network_common.tokens import Principal
from network_common.vocabulary import PrincipalKind, StaffRoleType

from ..runtime import NodeRuntime


@dataclass
class StaffContext:
    request: Request
    runtime: NodeRuntime
    principal: Principal | None
    auth_error: Exception | None = None
    #: Per-request cache (DataLoaders and the like), never shared between requests.
    cache: dict[str, Any] = field(default_factory=dict)

    def session(self) -> AsyncSession:
        """A new session for one unit of work (never shared between resolvers)."""
        return self.runtime.sessions()

    def staff(self, allowed: frozenset[StaffRoleType] | None = None) -> Principal:
        """The calling operator, refused unless authenticated (and holding an allowed role)."""
        if self.principal is None:
            if self.auth_error is not None:
                raise self.auth_error
            raise Unauthenticated("An operator's bearer token is required")
        if self.principal.kind != PrincipalKind.STAFF:
            raise Forbidden("This API is for staff operators")
        if not self.principal.roles:
            # Visibility (DOMAIN §7) is granted through roles: no role, no patron data.
            raise Forbidden("You hold no staff role")
        if allowed is not None and not self.principal.has_any_role(allowed):
            raise Forbidden("Your roles do not allow this")
        return self.principal


StaffInfo = Info[StaffContext, None]
