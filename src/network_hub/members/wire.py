"""The hub's member calls on the wire: HTTP/1.1 POSTs over kept connections (issue 17).

A Network Activity query sends one POST to each member holding a linked account, so the
cost of one member call is paid N times per query on one core. Through aiohttp a call cost
~0.4 ms of the hub's CPU (request and response objects, header multidicts, timers, payload
registry, cookie jar); here it is a pre-built request head, one ``transport.write`` and
httptools' C parser (the parser uvicorn uses) feeding a future, on asyncio's transports.
aiohttp stays for everything off the hot path (probes, JWKS, pages; ``client.http``).

What it does, and deliberately no more (the members are our own nodes, on the network file):

- ``http`` and ``https`` (certificates verified against the system store, or a given
  ``ssl.SSLContext``); no proxies, no redirects, no cookies, no compression.
- Responses framed by Content-Length, chunked encoding, or the end of the connection.
- Kept connections: up to ``max_connections`` open per member (callers beyond it wait), idle
  ones reused newest first. A member that closes an idle connection (uvicorn does after 5 s)
  is seen through ``connection_lost`` and the connection dropped; a request that meets such
  a close on a reused connection before any byte of answer came back is sent once more on a
  fresh connection, as browsers and other clients do (every member mutation is keyed, so a
  repeat is answered with the first answer).
- A call cancelled (the caller's timeout) closes its connection: its answer may still come.
- An answer over ``max_answer_bytes`` is refused (``AnswerTooLarge``), its connection closed.

Failures raise ``OSError`` subclasses (``ConnectionError`` for a close mid-answer,
``MalformedAnswer`` for bytes that are not HTTP), which the member client maps to
MEMBER_UNAVAILABLE like any unreachable member.
"""

from __future__ import annotations

import asyncio
import contextlib
import ssl
from collections import deque
from collections.abc import Sequence
from typing import cast
from urllib.parse import urlsplit

import httptools

#: An answer larger than this is refused (a member's answer is a page of rows, not a file).
MAX_ANSWER_BYTES = 64 * 1024 * 1024


class MalformedAnswer(OSError):
    """The member's bytes are not an HTTP/1.1 answer."""


class AnswerTooLarge(OSError):
    """The member's answer is over the cap."""


class Endpoint:
    """Where one member's POSTs go: host, port, TLS and the request target, parsed once."""

    def __init__(self, url: str) -> None:
        parts = urlsplit(url)
        if parts.scheme not in ("http", "https") or not parts.hostname:
            raise ValueError(f"{url!r}: not an http(s) URL")
        self.url = url
        self.tls = parts.scheme == "https"
        self.host = parts.hostname
        self.port = parts.port or (443 if self.tls else 80)
        target = parts.path or "/"
        if parts.query:
            target += "?" + parts.query
        host = f"[{self.host}]" if ":" in self.host else self.host
        default = 443 if self.tls else 80
        authority = host if self.port == default else f"{host}:{self.port}"
        self.head_start = f"POST {target} HTTP/1.1\r\nHost: {authority}\r\n".encode("ascii")


class _Connection(asyncio.Protocol):
    """One kept connection: at most one request in flight."""

    def __init__(self, max_answer_bytes: int) -> None:
        self.transport: asyncio.Transport | None = None
        self.closed = False
        self.used = False
        self._max = max_answer_bytes
        self._parser = httptools.HttpResponseParser(self)
        self._answer: asyncio.Future[tuple[int, bytes]] | None = None
        self._body: list[bytes] = []
        self._size = 0
        self._received = False
        self._headers_done = False
        self._framed = False  # Content-Length or chunked: the end is in the bytes
        self._too_large = False
        self._keep = True

    # asyncio.Protocol
    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        # uvloop's transports are not asyncio.Transport subclasses, but have its methods.
        self.transport = cast(asyncio.Transport, transport)

    def data_received(self, data: bytes) -> None:
        if self._answer is None or self._answer.done():
            self.close()  # bytes nobody asked for: the connection cannot be trusted
            return
        self._received = True
        try:
            self._parser.feed_data(data)
        except httptools.HttpParserError:  # also what a callback raised, wrapped
            if self._too_large:
                self._fail(AnswerTooLarge(f"the member's answer is over {self._max} bytes"))
            else:
                self._fail(MalformedAnswer("the member's answer is not HTTP/1.1"))

    def eof_received(self) -> bool | None:
        return None  # close the transport; connection_lost follows

    def connection_lost(self, exc: Exception | None) -> None:
        self.closed = True
        answer = self._answer
        if answer is None or answer.done():
            return
        if self._headers_done and not self._framed:
            # An answer framed by the end of the connection.
            self.on_message_complete()
            return
        reason = ConnectionError("the member closed the connection before answering")
        if exc is not None:
            reason.__cause__ = exc
        answer.set_exception(reason)

    # httptools callbacks
    def on_header(self, name: bytes, _value: bytes) -> None:
        if name.lower() in (b"content-length", b"transfer-encoding"):
            self._framed = True

    def on_headers_complete(self) -> None:
        self._headers_done = True

    def on_body(self, body: bytes) -> None:
        self._size += len(body)
        if self._size > self._max:
            self._too_large = True
            raise AnswerTooLarge  # stops the parser (data_received says why)
        self._body.append(body)

    def on_message_complete(self) -> None:
        answer = self._answer
        if answer is None or answer.done():
            return
        self._keep = self._parser.should_keep_alive()
        body = self._body[0] if len(self._body) == 1 else b"".join(self._body)
        answer.set_result((self._parser.get_status_code(), body))

    # the pool's side
    def send(self, data: bytes) -> asyncio.Future[tuple[int, bytes]]:
        assert self.transport is not None
        self._answer = answer = asyncio.get_running_loop().create_future()
        self._body = []
        self._size = 0
        self._received = False
        self._headers_done = False
        self._framed = False
        self._too_large = False
        self.transport.write(data)
        return answer

    @property
    def answered_nothing(self) -> bool:
        return not self._received

    @property
    def reusable(self) -> bool:
        return not self.closed and self._keep and not self.transport_closing()

    def transport_closing(self) -> bool:
        return self.transport is None or self.transport.is_closing()

    def _fail(self, exc: Exception) -> None:
        if self._answer is not None and not self._answer.done():
            self._answer.set_exception(exc)
        self.close()

    def close(self) -> None:
        self.closed = True
        if self.transport is not None:
            self.transport.close()


def _expire(answer: asyncio.Future[tuple[int, bytes]]) -> None:
    if not answer.done():
        answer.set_exception(TimeoutError("the member did not answer in time"))


class WirePool:
    """Kept connections to one member endpoint."""

    def __init__(
        self,
        url: str,
        *,
        max_connections: int = 100,
        max_answer_bytes: int = MAX_ANSWER_BYTES,
        ssl_context: ssl.SSLContext | None = None,
    ) -> None:
        self.endpoint = Endpoint(url)
        self._idle: deque[_Connection] = deque()
        # Free slots and the callers waiting for one (a semaphore of our own: asyncio's
        # costs a coroutine frame per call even when a slot is free).
        self._free = max_connections
        self._waiting: deque[asyncio.Future[None]] = deque()
        self._last_head: tuple[tuple[tuple[str, str], ...], bytes] | None = None
        self._max_answer = max_answer_bytes
        self._ssl: ssl.SSLContext | None = None
        if self.endpoint.tls:
            self._ssl = ssl_context or ssl.create_default_context()
        self._open: set[_Connection] = set()
        #: Connections opened so far (tests read it: kept connections are reused).
        self.opened = 0

    async def post(
        self,
        body: bytes,
        headers: Sequence[tuple[str, str]],
        *,
        timeout: float | None = None,  # noqa: ASYNC109 - a timer is cheaper (see below)
    ) -> tuple[int, bytes]:
        """POST ``body``; the answer's status and body.

        ``timeout`` bounds the whole call (waiting for a connection, connecting, the answer):
        past it, ``TimeoutError`` and the connection is closed. It is a timer on the answer's
        future rather than an ``asyncio.timeout`` around the call, which cost ~5% of the hub's
        CPU at N = 10 (a fan-out arms one per member per query).
        """
        loop = asyncio.get_running_loop()
        deadline = None if timeout is None else loop.time() + timeout
        request = self._head(headers) + b"Content-Length: %d\r\n\r\n" % len(body) + body
        await self._acquire(deadline)
        connection: _Connection | None = None
        try:
            connection = self._take()
            reused = connection is not None
            if connection is None:
                connection = await self._connect(deadline)
            try:
                return await self._exchange(connection, request, deadline)
            except ConnectionError:
                if not (reused and connection.answered_nothing):
                    raise
            # A kept connection the member had closed: once more on a fresh one.
            self._open.discard(connection)
            connection = await self._connect(deadline)
            return await self._exchange(connection, request, deadline)
        except BaseException:
            if connection is not None:
                connection.close()
                self._open.discard(connection)
            raise
        finally:
            self._release()

    def _head(self, headers: Sequence[tuple[str, str]]) -> bytes:
        """The request head up to Content-Length; the last headers' bytes are kept (a member
        client sends the same headers until its service token is renewed)."""
        cached = self._last_head
        if cached is not None and cached[0] == headers:
            return cached[1]
        head = [self.endpoint.head_start]
        for name, value in headers:
            if "\r" in value or "\n" in value or "\r" in name or "\n" in name:
                raise ValueError(f"header {name!r}: line breaks are not allowed")
            head.append(f"{name}: {value}\r\n".encode("latin-1"))
        encoded = b"".join(head)
        self._last_head = (tuple(headers), encoded)
        return encoded

    async def _acquire(self, deadline: float | None) -> None:
        """One of ``max_connections`` slots; callers beyond wait in turn (until ``deadline``)."""
        if self._free > 0 and not self._waiting:
            self._free -= 1
            return
        waiter: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        self._waiting.append(waiter)
        try:
            async with asyncio.timeout_at(deadline):
                await waiter
        except BaseException:
            if waiter.done() and not waiter.cancelled():
                self._release()  # handed a slot just as it gave up: pass it on
            else:
                waiter.cancel()
                with contextlib.suppress(ValueError):
                    self._waiting.remove(waiter)
            raise

    def _release(self) -> None:
        while self._waiting:
            waiter = self._waiting.popleft()
            if not waiter.done():
                waiter.set_result(None)  # the slot goes straight to the next caller
                return
        self._free += 1

    async def _exchange(
        self, connection: _Connection, request: bytes, deadline: float | None
    ) -> tuple[int, bytes]:
        answer_future = connection.send(request)
        if deadline is None:
            answer = await answer_future
        else:
            timer = asyncio.get_running_loop().call_at(deadline, _expire, answer_future)
            try:
                answer = await answer_future
            finally:
                timer.cancel()
        if connection.reusable:
            connection.used = True
            self._idle.append(connection)
        else:
            connection.close()
            self._open.discard(connection)
        return answer

    def _take(self) -> _Connection | None:
        while self._idle:
            connection = self._idle.pop()  # the newest: least likely closed by the member
            if connection.reusable:
                return connection
            self._open.discard(connection)
        return None

    async def _connect(self, deadline: float | None = None) -> _Connection:
        loop = asyncio.get_running_loop()
        max_answer = self._max_answer
        async with asyncio.timeout_at(deadline):
            _transport, connection = await loop.create_connection(
                lambda: _Connection(max_answer),
                self.endpoint.host,
                self.endpoint.port,
                ssl=self._ssl,
                server_hostname=self.endpoint.host if self._ssl is not None else None,
            )
        self.opened += 1
        self._open.add(connection)
        return connection

    def close(self) -> None:
        for connection in list(self._open):
            connection.close()
        self._open.clear()
        self._idle.clear()
