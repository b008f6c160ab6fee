"""The console's only data paths: the hub's own public API, called with the session's token.

``/staff/api/graphql`` and ``/staff/api/export/…`` hand the request to the hub's ``/graphql``
endpoint and export handlers in-process, with the cookie's token as the ``Authorization``
header (exactly what a script with that token would get). ``/staff/api/member/graphql`` sends
a document to the operator's *own* node's staff API with the same token: the desk's ordinary
local work (a scan-in, loan or return of its own items, the loan after a walk-in
registration; NETWORK.md: "B then loans with its ordinary staff API") happens there. No other
path: the console reads nothing the hub or the node would not give that token directly.
"""

from __future__ import annotations

import json
from collections.abc import Awaitable, Callable

import httpx
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.types import ASGIApp, Receive, Scope, Send

from network_common.body_limit import BodyIncomplete, BodyTooLarge, read_body

from ..runtime import HubRuntime
from . import session

#: A console document is a few hundred bytes; the node has its own limits too.
MAX_BODY = 64 * 1024
MEMBER_TIMEOUT_SECONDS = 15.0

Handler = Callable[[Request], Awaitable[Response]]


def _graphql_error(code: str, message: str, status: int = 200) -> JSONResponse:
    return JSONResponse(
        {"data": None, "errors": [{"message": message, "extensions": {"code": code}}]}, status
    )


def _with_token(scope: Scope, token: str, path: str) -> Scope:
    headers = [(k, v) for k, v in scope["headers"] if k not in (b"cookie", b"authorization")]
    headers.append((b"authorization", f"Bearer {token}".encode()))
    return {**scope, "headers": headers, "path": path, "raw_path": path.encode()}


async def _checked(request: Request) -> session.StaffSession | Response:
    found = await session.current(request)
    if found is None:
        return _graphql_error("UNAUTHENTICATED", "Your session has ended; sign in again", 401)
    if not session.csrf_ok(
        runtime=request.app.state.runtime,
        token=found.token,
        given=request.headers.get("x-csrf-token"),
    ):
        return _graphql_error("FORBIDDEN", "The request did not come from the console", 403)
    return found


class HubGateway:
    """``POST /staff/api/graphql``: the hub's GraphQL endpoint with the session's token."""

    def __init__(self, graphql: ASGIApp) -> None:
        self.graphql = graphql

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        request = Request(scope, receive)
        if request.method != "POST":
            await _graphql_error("BAD_REQUEST", "Use POST", 405)(scope, receive, send)
            return
        found = await _checked(request)
        if isinstance(found, Response):
            await found(scope, receive, send)
            return
        await self.graphql(_with_token(scope, found.token, "/graphql"), receive, send)


def export_gateway(handler: Handler, path: str) -> Handler:
    """``GET /staff/api/export/…``: the hub's export URL with the session's token (a plain
    link downloads it; SameSite=Strict keeps other sites from using the cookie)."""

    async def export(request: Request) -> Response:
        found = await session.current(request)
        if found is None:
            return JSONResponse(
                {"error": {"code": "UNAUTHENTICATED", "message": "Your session has ended"}}, 401
            )
        inner = Request(_with_token(request.scope, found.token, path), request.receive)
        return await handler(inner)

    return export


async def member_gateway(request: Request) -> Response:
    """``POST /staff/api/member/graphql``: the operator's own node's staff API."""
    found = await _checked(request)
    if isinstance(found, Response):
        return found
    runtime: HubRuntime = request.app.state.runtime
    client = runtime.registry.get(found.principal.institution)
    if client is None:
        return _graphql_error("FORBIDDEN", "Your institution is not a member of this network")
    try:
        # Refused while it arrives (a declared length at once), not after reading it whole.
        body = await read_body(request, max_bytes=MAX_BODY)
    except BodyTooLarge:
        return _graphql_error("PAYLOAD_TOO_LARGE", "The request is too large", 413)
    except BodyIncomplete:
        return _graphql_error("BAD_REQUEST", "The request body is incomplete", 400)
    try:
        json.loads(body)
    except (ValueError, RecursionError):
        return _graphql_error("BAD_REQUEST", "The request body must be JSON", 400)
    try:
        answer = await client.http.post(
            f"{client.member.url}/graphql",
            content=body,
            headers={
                "authorization": f"Bearer {found.token}",
                "content-type": "application/json",
            },
            timeout=MEMBER_TIMEOUT_SECONDS,
        )
    except httpx.TimeoutException:
        return _graphql_error("MEMBER_TIMEOUT", "Your institution did not answer in time")
    except httpx.HTTPError:
        return _graphql_error("MEMBER_UNAVAILABLE", "Your institution cannot be reached")
    if answer.headers.get("content-type", "").startswith("application/json"):
        return Response(answer.content, answer.status_code, media_type="application/json")
    return _graphql_error("MEMBER_ERROR", "Your institution could not answer this", 502)
