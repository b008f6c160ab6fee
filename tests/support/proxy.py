"""A small HTTP reverse proxy on loopback for the replica tests: round-robin over upstreams
like nginx's default ``proxy_pass`` to an upstream group.

- A fresh upstream connection per request (nginx's default: no upstream keep-alive), so a
  dead replica shows as a refused connection, never as a stale pooled one.
- A refused connection means nothing was sent: the request goes to the next upstream and
  the refusing one is left out for ``down_seconds`` (nginx's ``max_fails``/``fail_timeout``).
- A failure once the request was sent (the replica died while handling it) answers 502:
  like nginx, a POST is never re-sent to another upstream.
- Every request is recorded (upstream, start, end, outcome), so a test can tell which
  failures were in flight on a replica when it was killed.
"""

from __future__ import annotations

import itertools
import time
from dataclasses import dataclass, field

import aiohttp
from aiohttp import web

from tests.support.network import reserve_socket

_HOP_BY_HOP = {"connection", "keep-alive", "transfer-encoding", "host", "content-length"}


@dataclass
class Passage:
    upstream: str
    started: float
    ended: float = 0.0
    status: int = 0
    error: str | None = None


@dataclass
class RoundRobinProxy:
    upstreams: list[str]
    down_seconds: float = 5.0
    passages: list[Passage] = field(default_factory=list)
    _down_until: dict[str, float] = field(default_factory=dict)

    def __post_init__(self) -> None:
        sock = reserve_socket()
        self.sock = sock
        self.port: int = sock.getsockname()[1]
        self._order = itertools.cycle(range(len(self.upstreams)))
        self._runner: web.AppRunner | None = None
        self._client: aiohttp.ClientSession | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def forget_failures(self) -> None:
        """Count every upstream as up again (as nginx does once ``fail_timeout`` passed): a
        replica refused while it was still starting is not left out of the load after."""
        self._down_until.clear()

    def in_flight(self, upstream: str) -> list[Passage]:
        return [p for p in self.passages if p.upstream == upstream and not p.ended]

    async def start(self) -> None:
        self._client = aiohttp.ClientSession(
            connector=aiohttp.TCPConnector(force_close=True, limit=0),
            timeout=aiohttp.ClientTimeout(total=60),
            auto_decompress=False,
        )
        app = web.Application(client_max_size=16 * 1024 * 1024)
        app.router.add_route("*", "/{path:.*}", self._handle)
        self._runner = web.AppRunner(app, access_log=None)
        await self._runner.setup()
        self.sock.listen(128)
        await web.SockSite(self._runner, self.sock).start()

    async def stop(self) -> None:
        if self._runner is not None:
            await self._runner.cleanup()
        if self._client is not None:
            await self._client.close()

    def _candidates(self) -> list[str]:
        first = next(self._order)
        ordered = [
            self.upstreams[(first + i) % len(self.upstreams)] for i in range(len(self.upstreams))
        ]
        now = time.monotonic()
        up = [u for u in ordered if self._down_until.get(u, 0) <= now]
        return up + [u for u in ordered if u not in up]  # all down: try them anyway

    async def _handle(self, request: web.Request) -> web.StreamResponse:
        assert self._client is not None
        body = await request.read()
        headers = {k: v for k, v in request.headers.items() if k.lower() not in _HOP_BY_HOP}
        headers["X-Forwarded-For"] = request.remote or ""
        headers["X-Forwarded-Proto"] = "http"
        for upstream in self._candidates():
            passage = Passage(upstream=upstream, started=time.monotonic())
            self.passages.append(passage)
            try:
                async with self._client.request(
                    request.method,
                    f"{upstream}{request.rel_url}",
                    data=body,
                    headers=headers,
                    allow_redirects=False,
                ) as answer:
                    content = await answer.read()
                    passage.status = answer.status
                    reply = web.Response(status=answer.status, body=content)
                    for key, value in answer.headers.items():
                        if key.lower() not in _HOP_BY_HOP:
                            reply.headers[key] = value
                    return reply
            except aiohttp.ClientConnectorError as exc:
                # Refused: nothing was sent. Leave this one out for a while, try the next.
                passage.error = f"connect: {exc}"
                self._down_until[upstream] = time.monotonic() + self.down_seconds
                continue
            except (aiohttp.ClientError, TimeoutError) as exc:
                passage.error = f"in flight: {exc!r}"
                passage.status = 502
                return web.Response(status=502, text="upstream failed during the request")
            finally:
                passage.ended = time.monotonic()
        return web.Response(status=502, text="no upstream answered")
