"""The Starlette application both apps are built on, with one short path.

A POST to one of ``direct_posts`` (the GraphQL endpoints: nearly every request a hub or a
node serves) goes straight to its endpoint, metered, instead of through Starlette's
middleware stack and router (error middleware, metrics middleware, exception middleware,
then every route's pattern in turn): for a small query that stack cost about a tenth of
the request's CPU. Everything else, including those paths with another method or under a
mount (``root_path``), takes Starlette's usual way.

What the stack did on this path is kept: the request is counted and timed like any other,
and an exception that escapes the endpoint is logged and answered with a 500 shaped like
every other GraphQL error (``INTERNAL``, no detail), never with a trace.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping, Sequence
from typing import Any

from starlette.applications import Starlette
from starlette.middleware import Middleware
from starlette.routing import Route
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from network_common.errors import ErrorCode
from network_common.observability import Metrics, MetricsMiddleware, RequestMeter

log = logging.getLogger(__name__)

_INTERNAL = (
    b'{"data":null,"errors":[{"message":"Internal server error","extensions":{"code":"'
    + str(ErrorCode.INTERNAL).encode()
    + b'"}}]}'
)


class App(Starlette):
    """``Starlette`` with request metrics for every request (its routes' paths by name, the
    rest as ``other``) and the direct path above for ``direct_posts`` (path -> endpoint)."""

    def __init__(
        self,
        *,
        metrics: Metrics,
        direct_posts: Mapping[str, ASGIApp],
        middleware: Sequence[Middleware] = (),
        **kwargs: Any,
    ) -> None:
        routes = kwargs.get("routes") or ()
        paths = frozenset(r.path for r in routes if isinstance(r, Route))
        self.meter = RequestMeter(metrics, paths)
        super().__init__(
            middleware=[Middleware(MetricsMiddleware, meter=self.meter), *middleware], **kwargs
        )
        self.direct_posts = {path: _guarded(app) for path, app in direct_posts.items()}

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if (
            scope["type"] == "http"
            and scope["method"] == "POST"
            and not scope.get("root_path")
            and (endpoint := self.direct_posts.get(scope["path"])) is not None
        ):
            scope["app"] = self
            await self.meter.serve(scope, receive, send, endpoint)
            return
        await super().__call__(scope, receive, send)


def _guarded(endpoint: ASGIApp) -> ASGIApp:
    """``endpoint`` with what Starlette's error middleware would do for it."""

    async def app(scope: Scope, receive: Receive, send: Send) -> None:
        started = False

        async def tracked(message: Message) -> None:
            nonlocal started
            started = started or message["type"] == "http.response.start"
            await send(message)

        try:
            await endpoint(scope, receive, tracked)
        except Exception:
            log.exception("unhandled error answering POST %s", scope["path"])
            if started:  # too late for an answer: the server drops the connection
                raise
            await send(
                {
                    "type": "http.response.start",
                    "status": 500,
                    "headers": [
                        (b"content-type", b"application/json"),
                        (b"content-length", str(len(_INTERNAL)).encode()),
                    ],
                }
            )
            await send({"type": "http.response.body", "body": _INTERNAL})

    return app
