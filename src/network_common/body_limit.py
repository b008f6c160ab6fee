"""Request bodies read with a cap, for every endpoint that takes one.

A body larger than its endpoint's cap is refused before it is read whole: a declared
``Content-Length`` beyond the cap is refused at once, without reading anything, and a body
sent without one (chunked) is counted while it arrives and refused as soon as the count
passes the cap. Nothing beyond the cap is held in memory and no parser ever sees a body
that is refused, so one client sending huge bodies costs the others almost nothing.

Two ways for an endpoint to use it (the refusal is always in the endpoint's own protocol):

* wrap an ASGI app (a strawberry view, a protocol responder)::

      Route("/x", LimitedBody(app, max_bytes=settings.max_body_bytes, refuse=too_large))

  where ``too_large(max_bytes)`` returns the response to send (a Starlette ``Response``,
  e.g. 413 in the protocol's error form). The app then reads the (capped) body as usual;
* or, in a Starlette endpoint that reads the body itself::

      try:
          body = await read_body(request, max_bytes=...)
      except BodyTooLarge as exc:
          return <413 in this protocol's error form, naming exc.max_bytes>
"""

from __future__ import annotations

from collections.abc import Callable

from starlette.requests import Request
from starlette.types import ASGIApp, Message, Receive, Scope, Send


class BodyTooLarge(Exception):
    """The request body is (or declares to be) larger than ``max_bytes``."""

    def __init__(self, max_bytes: int) -> None:
        super().__init__(f"The request body is larger than {max_bytes} bytes")
        self.max_bytes = max_bytes


class BodyIncomplete(Exception):
    """The client went away before the whole body arrived (nobody to answer)."""


def declared_length(scope: Scope) -> int | None:
    """The request's ``Content-Length``, if it declares a valid one."""
    for name, value in scope.get("headers", ()):
        if name == b"content-length":
            text = value.decode("latin-1").strip()
            return int(text) if text.isdigit() else None
    return None


async def receive_body(scope: Scope, receive: Receive, *, max_bytes: int) -> bytes:
    """The whole request body from an ASGI ``receive``, or :class:`BodyTooLarge` as soon as
    it is known to pass ``max_bytes`` (:class:`BodyIncomplete` if the client leaves)."""
    declared = declared_length(scope)
    if declared is not None and declared > max_bytes:
        raise BodyTooLarge(max_bytes)
    chunks: list[bytes] = []
    size = 0
    while True:
        message = await receive()
        if message["type"] == "http.disconnect":
            raise BodyIncomplete
        chunk = message.get("body", b"")
        if chunk:
            size += len(chunk)
            if size > max_bytes:
                raise BodyTooLarge(max_bytes)
            chunks.append(chunk)
        if not message.get("more_body", False):
            return b"".join(chunks)


async def read_body(request: Request, *, max_bytes: int) -> bytes:
    """The body of a Starlette request, capped (see :func:`receive_body`)."""
    return await receive_body(request.scope, request.receive, max_bytes=max_bytes)


def replay(body: bytes, receive: Receive) -> Receive:
    """A ``receive`` that hands out ``body`` as one message, then waits on the real one
    (which then only ever says that the client disconnected)."""
    sent = False

    async def replayed() -> Message:
        nonlocal sent
        if not sent:
            sent = True
            return {"type": "http.request", "body": body, "more_body": False}
        return await receive()

    return replayed


class LimitedBody:
    """ASGI wrapper: reads the body up to ``max_bytes`` before ``app`` runs; a larger body
    gets ``refuse(max_bytes)`` instead, and ``app`` never runs."""

    def __init__(self, app: ASGIApp, *, max_bytes: int, refuse: Callable[[int], ASGIApp]) -> None:
        self.app = app
        self.max_bytes = max_bytes
        self.refuse = refuse

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        try:
            body = await receive_body(scope, receive, max_bytes=self.max_bytes)
        except BodyTooLarge:
            await self.refuse(self.max_bytes)(scope, receive, send)
            return
        except BodyIncomplete:
            return
        await self.app(scope, replay(body, receive), send)
