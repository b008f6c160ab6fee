"""The staff ``/graphql`` ASGI endpoint: the caller's own token, verified here, in the context."""

from __future__ import annotations

from typing import Any

from starlette.requests import Request
from starlette.responses import Response

from network_common import graphiql
from network_common.errors import DomainError
from network_common.graphql_http import LimitedGraphQL

from ...runtime import NodeRuntime
from .. import auth_endpoints
from ..context import StaffContext
from .schema import build_schema


class StaffGraphQL(LimitedGraphQL[StaffContext, None]):
    def __init__(self, runtime: NodeRuntime) -> None:
        introspection = runtime.settings.introspection
        limits = runtime.settings.graphql_limits()
        super().__init__(
            build_schema(introspection=introspection, limits=limits),
            limits=limits,
            graphql_ide="graphiql" if introspection else None,
            allow_queries_via_get=False,
        )
        self.runtime = runtime

    async def render_graphql_ide(self, request: Request) -> Response:
        """GraphiQL from this app's own files (works offline), not from a CDN."""
        return graphiql.response(title="Institution node: staff API")

    async def get_context(self, request: Any, response: Any) -> StaffContext:
        principal = None
        error: Exception | None = None
        try:
            principal = await auth_endpoints.local_principal(request)
        except DomainError as exc:
            error = exc
        return StaffContext(
            request=request, runtime=self.runtime, principal=principal, auth_error=error
        )
