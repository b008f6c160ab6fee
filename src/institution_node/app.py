"""The node's Starlette application factory."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

from starlette.applications import Starlette
from starlette.middleware import Middleware
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route
from strawberry.asgi import GraphQL

from network_common.errors import DomainError
from network_common.observability import Metrics, MetricsMiddleware

from .api.context import StaffContext
from .api.network.endpoint import NetworkGraphQL
from .api.staff.schema import build_schema
from .auth import routes as auth_routes
from .runtime import NodeRuntime
from .settings import NodeSettings


class StaffGraphQL(GraphQL[StaffContext, None]):
    def __init__(self, runtime: NodeRuntime) -> None:
        introspection = runtime.settings.introspection
        super().__init__(
            build_schema(introspection=introspection),
            graphql_ide="graphiql" if introspection else None,
            allow_queries_via_get=False,
        )
        self.runtime = runtime

    def decode_json(self, data: str | bytes) -> object:
        """Invalid UTF-8 is a body that is not JSON (400), not a server error."""
        try:
            return json.loads(data)
        except UnicodeDecodeError as exc:
            raise json.JSONDecodeError("The request body is not UTF-8", "", 0) from exc

    async def get_context(self, request: Any, response: Any) -> StaffContext:
        principal = None
        error: Exception | None = None
        try:
            principal = await auth_routes.local_principal(request)
        except DomainError as exc:
            error = exc
        return StaffContext(
            request=request, runtime=self.runtime, principal=principal, auth_error=error
        )


async def healthz(request: Request) -> JSONResponse:
    runtime: NodeRuntime = request.app.state.runtime
    try:
        code = await runtime.institution_code()
    except DomainError:
        return JSONResponse({"status": "no-institution"}, status_code=503)
    return JSONResponse({"status": "ok", "institution": code})


def create_app(
    settings: NodeSettings | None = None, runtime: NodeRuntime | None = None
) -> Starlette:
    """Build the node app; ``runtime`` may be given by tests that share one database."""
    settings = settings or NodeSettings()
    runtime = runtime or NodeRuntime.create(settings)
    metrics = Metrics("institution_node")
    staff_graphql = StaffGraphQL(runtime)

    @asynccontextmanager
    async def lifespan(_app: Starlette) -> AsyncIterator[None]:
        yield
        await runtime.close()

    routes = [
        Route("/healthz", healthz),
        Route("/metrics", metrics.endpoint),
        Route("/auth/token", auth_routes.token_endpoint, methods=["POST"]),
        Route("/auth/patron-token", auth_routes.patron_token_endpoint, methods=["POST"]),
        Route("/.well-known/jwks.json", auth_routes.jwks_endpoint),
        Route("/graphql", staff_graphql, methods=["GET", "POST"]),
        Route("/network/graphql", NetworkGraphQL(runtime), methods=["POST"]),
    ]
    paths = frozenset(r.path for r in routes)
    app = Starlette(
        routes=routes,
        lifespan=lifespan,
        middleware=[Middleware(MetricsMiddleware, metrics=metrics, paths=paths)],
    )
    app.state.runtime = runtime
    return app
