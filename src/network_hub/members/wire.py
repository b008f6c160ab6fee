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
        self._slots = asyncio.Semaphore(max_connections)
        self._max_answer = max_answer_bytes
        self._ssl: ssl.SSLContext | None = None
        if self.endpoint.tls:
            self._ssl = ssl_context or ssl.create_default_context()
        self._open: set[_Connection] = set()
        #: Connections opened so far (tests read it: kept connections are reused).
        self.opened = 0

    async def post(self, body: bytes, headers: Sequence[tuple[str, str]]) -> tuple[int, bytes]:
        """POST ``body``; the answer's status and body."""
        head = [self.endpoint.head_start]
        for name, value in headers:
            if "\r" in value or "\n" in value or "\r" in name or "\n" in name:
                raise ValueError(f"header {name!r}: line breaks are not allowed")
            head.append(f"{name}: {value}\r\n".encode("latin-1"))
        head.append(b"Content-Length: %d\r\n\r\n" % len(body))
        request = b"".join(head) + body
        async with self._slots:
            connection = self._take()
            reused = connection is not None
            if connection is None:
                connection = await self._connect()
            try:
                try:
                    return await self._exchange(connection, request)
                except ConnectionError:
                    if not (reused and connection.answered_nothing):
                        raise
                # A kept connection the member had closed: once more on a fresh one.
                connection = await self._connect()
                return await self._exchange(connection, request)
            except BaseException:
                connection.close()
                self._open.discard(connection)
                raise

    async def _exchange(self, connection: _Connection, request: bytes) -> tuple[int, bytes]:
        answer = await connection.send(request)
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

    async def _connect(self) -> _Connection:
        loop = asyncio.get_running_loop()
        max_answer = self._max_answer
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
