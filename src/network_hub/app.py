"""The hub's Starlette application factory."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import BaseRoute, Route, request_response

from network_common import graphiql
from network_common.asgi_app import App
from network_common.body_limit import LimitedBody
from network_common.errors import DomainError
from network_common.graphql_http import LimitedGraphQL

from .daia.endpoint import daia
from .export import export_csv, export_xlsx, too_large
from .jobs import build_scheduler
from .runtime import HubRuntime
from .schema.context import HubContext
from .schema.schema import build_schema
from .settings import HubSettings
from .web import routes as web_routes


class HubGraphQL(LimitedGraphQL[HubContext, None]):
    def __init__(self, runtime: HubRuntime) -> None:
        s = runtime.settings
        limits = s.graphql_limits()
        super().__init__(
            build_schema(introspection=s.introspection, limits=limits),
            limits=limits,
            graphql_ide="graphiql" if s.introspection else None,
            allow_queries_via_get=False,
            subscription_protocols=(),
        )
        self.runtime = runtime

    async def render_graphql_ide(self, request: Request) -> Response:
        """GraphiQL from this app's own files (works offline), not from a CDN."""
        return graphiql.response(title="Network hub: GraphQL API")

    async def get_context(self, request: Any, response: Any) -> HubContext:
        principal = None
        error: Exception | None = None
        header = request.headers.get("authorization")
        if header:
            try:
                principal = await self.runtime.callers.from_header(header)
            except DomainError as exc:
                error = exc
        return HubContext(
            request=request, runtime=self.runtime, principal=principal, auth_error=error
        )


async def healthz(request: Request) -> JSONResponse:
    runtime: HubRuntime = request.app.state.runtime
    # The JWKS URL is what every node's NODE_HUB_JWKS_URL must point at.
    jwks_url = f"{runtime.settings.public_url.rstrip('/')}/.well-known/jwks.json"
    untried = runtime.index_state.untried()
    if untried:
        # Not ready: answers would leave these members out (issue 10, item 1).
        return JSONResponse(
            {
                "status": "starting",
                "reason": "the linked-account index has not been synced yet from: "
                + ", ".join(untried),
                "members": len(runtime.registry),
                "jwks": jwks_url,
            },
            status_code=503,
        )
    return JSONResponse({"status": "ok", "members": len(runtime.registry), "jwks": jwks_url})


async def jwks(request: Request) -> JSONResponse:
    runtime: HubRuntime = request.app.state.runtime
    return JSONResponse(runtime.keyring.jwks())


def create_app(settings: HubSettings | None = None, runtime: HubRuntime | None = None) -> Starlette:
    """Build the hub app; ``runtime`` may be given by tests and the demo."""
    settings = settings or (runtime.settings if runtime else HubSettings())
    runtime = runtime or HubRuntime.create(settings)
    metrics = runtime.metrics

    @asynccontextmanager
    async def lifespan(_app: Starlette) -> AsyncIterator[None]:
        await runtime.start()
        await runtime.start_jobs(build_scheduler(runtime=runtime))
        runtime.start_background()
        yield
        await runtime.close()

    graphql_app = HubGraphQL(runtime)

    def capped(endpoint: Any) -> LimitedBody:
        # The exports take no body; one sent anyway is read only up to the cap.
        return LimitedBody(
            request_response(endpoint), max_bytes=settings.max_body_bytes, refuse=too_large
        )

    routes: list[BaseRoute] = [
        Route("/healthz", healthz),
        Route("/metrics", metrics.guarded_endpoint(settings.metrics_token)),
        Route("/.well-known/jwks.json", jwks),
        Route("/graphql", graphql_app, methods=["GET", "POST"]),
        Route("/export/network-activity.csv", capped(export_csv), methods=["GET"]),
        Route("/export/network-activity.xlsx", capped(export_xlsx), methods=["GET"]),
        Route("/daia", daia, methods=["GET", "HEAD", "OPTIONS", "POST", "PUT", "PATCH", "DELETE"]),
        graphiql.static_mount(),
        # Pages (staff console, Get It widget, account, /): they use the endpoints above.
        *web_routes(graphql=graphql_app, export_csv=export_csv, export_xlsx=export_xlsx),
    ]
    app = App(
        routes=routes,
        lifespan=lifespan,
        metrics=metrics,
        direct_posts={"/graphql": graphql_app},
    )
    app.state.runtime = runtime
    return app


def worker_app() -> Starlette:
    """One uvicorn worker's app (``network-hub serve --workers N``): settings from ``HUB_*``."""
    from network_common import heap
    from network_common.observability import configure_logging

    configure_logging()
    app = create_app(HubSettings())
    heap.settle()  # as `serve` does for a single process (cli.py)
    return app
