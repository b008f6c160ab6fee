"""The node's Starlette application factory."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import BaseRoute, Route

from network_common import graphiql
from network_common.asgi_app import App
from network_common.errors import DomainError

from .api import auth_endpoints, oidc_endpoints
from .api.network.ended_sessions import ended_sessions_endpoint
from .api.network.endpoint import NetworkGraphQL
from .api.staff.endpoint import StaffGraphQL
from .iso18626.endpoint import Iso18626Endpoint
from .ncip.responder import build_responder
from .runtime import NodeRuntime
from .settings import NodeSettings


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
    metrics = runtime.metrics
    staff_graphql = StaffGraphQL(runtime)
    network_graphql = NetworkGraphQL(runtime)

    @asynccontextmanager
    async def lifespan(_app: Starlette) -> AsyncIterator[None]:
        await runtime.start()
        yield
        await runtime.close()

    routes: list[BaseRoute] = [
        Route("/healthz", healthz),
        Route("/metrics", metrics.guarded_endpoint(settings.metrics_token)),
        Route("/auth/token", auth_endpoints.token_endpoint, methods=["POST"]),
        Route("/auth/login", auth_endpoints.login_endpoint, methods=["POST"]),
        Route("/auth/oidc/login", oidc_endpoints.oidc_login),
        Route("/auth/oidc/callback", oidc_endpoints.oidc_callback),
        Route("/auth/patron-token", auth_endpoints.patron_token_endpoint, methods=["POST"]),
        Route("/.well-known/jwks.json", auth_endpoints.jwks_endpoint),
        Route("/graphql", staff_graphql, methods=["GET", "POST"]),
        Route("/network/graphql", network_graphql, methods=["POST"]),
        Route("/network/ended-sessions", ended_sessions_endpoint, methods=["GET"]),
        Route("/ncip", build_responder(runtime).handle, methods=["POST"]),
        Route("/iso18626", Iso18626Endpoint(runtime).handle, methods=["POST"]),
        graphiql.static_mount(),
    ]
    app = App(
        routes=routes,
        lifespan=lifespan,
        metrics=metrics,
        direct_posts={"/graphql": staff_graphql, "/network/graphql": network_graphql},
    )
    app.state.runtime = runtime
    return app
