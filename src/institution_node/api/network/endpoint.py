"""The ``/network/graphql`` ASGI endpoint: refuses any caller but the hub before GraphQL runs."""

from __future__ import annotations

import asyncio
from typing import Any

from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.types import Receive, Scope, Send

from network_common.errors import ErrorCode, Unauthenticated
from network_common.graphql_http import LimitedGraphQL

from ...runtime import NodeRuntime
from .context import REFUSED, NetworkContext, ServiceCaller, caller_of
from .schema import build_schema

_STATE_KEY = "network_caller"


class NetworkGraphQL(LimitedGraphQL[NetworkContext, None]):
    def __init__(self, runtime: NodeRuntime) -> None:
        introspection = runtime.settings.introspection
        limits = runtime.settings.graphql_limits()
        super().__init__(
            build_schema(introspection=introspection, limits=limits),
            limits=limits,
            graphql_ide=None,
            allow_queries_via_get=False,
            # No websockets: every operation comes through the checked HTTP path.
            subscription_protocols=(),
        )
        self.runtime = runtime

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            return
        request = Request(scope, receive)
        if request.method == "POST":
            try:
                caller = await caller_of(request, self.runtime)
            except Unauthenticated:
                await _refusal()(scope, receive, send)
                return
            scope.setdefault("state", {})[_STATE_KEY] = caller
            if self.runtime.settings.network_delay_ms:
                await asyncio.sleep(self.runtime.settings.network_delay_ms / 1000)
        await super().__call__(scope, receive, send)

    async def get_context(self, request: Any, response: Any) -> NetworkContext:
        caller: ServiceCaller | None = request.scope.get("state", {}).get(_STATE_KEY)
        return NetworkContext(request=request, runtime=self.runtime, caller=caller)


def _refusal() -> JSONResponse:
    # GraphQL-shaped, like every other error of this API (and the staff API's).
    return JSONResponse(
        {
            "data": None,
            "errors": [{"message": REFUSED, "extensions": {"code": ErrorCode.UNAUTHENTICATED}}],
        }
    )
