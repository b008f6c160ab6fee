"""One member's network API client: service token, timeout, breaker, failure mapping.

The hot path, ``query``, goes over the member's own kept connections (``wire.WirePool``,
created on first use inside the running loop): a fan-out pays a member call N times per
query on one core, and through aiohttp each cost ~0.4 ms of CPU, through httpx more
(bench/bench_side_by_side.py measures it; a single shared httpx pool also costs more than
linearly with concurrent calls, ARCHITECTURE.md). Everything else (probes, JWKS, the pages'
calls) uses ``http``, an ``httpx.AsyncClient`` over the httpx-aiohttp transport sharing the
member's aiohttp session.
"""

from __future__ import annotations

import asyncio
import json
import logging
import time
from collections.abc import Callable
from typing import Any

import aiohttp
import httpx
import orjson
from httpx_aiohttp import AiohttpTransport

from ..network_file import Member
from .breaker import CircuitBreaker
from .failures import MemberFailure, UnavailableCode
from .service_tokens import ServiceTokens
from .wire import WirePool

log = logging.getLogger("network_hub.members")

#: Told about every member call: (member code, outcome ("OK" or an UnavailableCode), seconds).
CallObserver = Callable[[str, str, float], None]


def _ignore(_code: str, _outcome: str, _seconds: float) -> None:
    return None


MAX_CONNECTIONS = 100
#: A recovery probe (``probe``) waits at most this long (or the member timeout if shorter).
PROBE_TIMEOUT_SECONDS = 1.0


class SessionHolder:
    """One lazily created aiohttp session, shared by the probes and the httpx client."""

    def __init__(self) -> None:
        self._session: aiohttp.ClientSession | None = None

    def __call__(self) -> aiohttp.ClientSession:
        if self._session is None or self._session.closed:
            connector = aiohttp.TCPConnector(limit=MAX_CONNECTIONS, keepalive_timeout=60)
            self._session = aiohttp.ClientSession(connector=connector, trust_env=False)
        return self._session

    async def aclose(self) -> None:
        if self._session is not None:
            await self._session.close()


def make_http_client(sessions: SessionHolder) -> httpx.AsyncClient:
    """An httpx client whose requests go through the member's aiohttp session."""
    transport = AiohttpTransport(client=sessions, trust_env=False)
    return httpx.AsyncClient(transport=transport, trust_env=False)


class MemberClient:
    def __init__(
        self,
        member: Member,
        *,
        tokens: ServiceTokens,
        breaker: CircuitBreaker,
        timeout: float,
        observe: CallObserver = _ignore,
    ) -> None:
        self.member = member
        self._sessions = SessionHolder()
        self.http = make_http_client(self._sessions)
        self.breaker = breaker
        self.timeout = timeout
        self._tokens = tokens
        self._observe = observe
        #: Calls actually sent (tests and metrics read it).
        self.calls = 0
        # The hot path's connections: made for the running loop and the member's endpoint.
        self._wire: tuple[asyncio.AbstractEventLoop, WirePool] | None = None
        self._call_headers: tuple[str, tuple[tuple[str, str], ...]] | None = None

    def service_token(self) -> str:
        """The hub's current service token for this member (reused until near expiry)."""
        return self._tokens.for_member(self.member.code)

    def _failure(self, code: UnavailableCode, upstream: tuple[str, ...] = ()) -> MemberFailure:
        return MemberFailure(self.member.code, self.member.name, code, upstream)

    async def query(self, document: str, variables: dict[str, Any] | None = None) -> dict[str, Any]:
        """Run one document at the member's network API; its ``data`` or a MemberFailure."""
        started = time.perf_counter()
        try:
            data = await self._query(document, variables)
        except MemberFailure as failure:
            self._observe(self.member.code, failure.code.value, time.perf_counter() - started)
            raise
        self._observe(self.member.code, "OK", time.perf_counter() - started)
        return data

    async def _query(self, document: str, variables: dict[str, Any] | None) -> dict[str, Any]:
        if not self.breaker.allow():
            raise self._failure(UnavailableCode.CIRCUIT_OPEN)
        self.calls += 1
        body = _dumps({"query": document, "variables": variables or {}})
        try:
            status, raw = await self._pool().post(body, self._headers(), timeout=self.timeout)
        except TimeoutError:
            self.breaker.record_failure()
            raise self._failure(UnavailableCode.MEMBER_TIMEOUT) from None
        except asyncio.CancelledError:
            self.breaker.abandon()  # e.g. the caller went away mid-call
            raise
        except OSError as exc:
            self.breaker.record_failure()
            log.warning("member %s unreachable: %s", self.member.code, exc)
            raise self._failure(UnavailableCode.MEMBER_UNAVAILABLE) from None
        return self._parse(status, raw)

    def _headers(self) -> tuple[tuple[str, str], ...]:
        """The call's headers: the same tuple while the service token stays the same."""
        token = self.service_token()
        if self._call_headers is None or self._call_headers[0] != token:
            headers = (("Authorization", f"Bearer {token}"), ("Content-Type", "application/json"))
            self._call_headers = (token, headers)
        return self._call_headers[1]

    def _pool(self) -> WirePool:
        loop = asyncio.get_running_loop()
        wire = self._wire
        if (
            wire is None
            or wire[0] is not loop
            or wire[1].endpoint.url != self.member.network_endpoint
        ):
            if wire is not None:
                wire[1].close()
            wire = self._wire = (
                loop,
                WirePool(self.member.network_endpoint, max_connections=MAX_CONNECTIONS),
            )
        return wire[1]

    async def probe(self) -> bool:
        """A cheap health call (the member's ``/healthz``, outside the breaker and not
        counted in ``calls``); a member that answers 200 closes its breaker."""
        try:
            async with asyncio.timeout(min(self.timeout, PROBE_TIMEOUT_SECONDS)):
                session = self._sessions()
                async with session.get(f"{self.member.url.rstrip('/')}/healthz") as response:
                    await response.read()
                    healthy = response.status == 200
        except (TimeoutError, aiohttp.ClientError, OSError):
            return False
        if healthy:
            log.info("member %s answers again: breaker closed", self.member.code)
            self.breaker.record_success()
        return healthy

    async def aclose(self) -> None:
        if self._wire is not None:
            self._wire[1].close()
            self._wire = None
        await self.http.aclose()
        await self._sessions.aclose()

    def _parse(self, status: int, raw: bytes) -> dict[str, Any]:
        if status >= 500:
            self.breaker.record_failure()
            raise self._failure(UnavailableCode.MEMBER_ERROR)
        try:
            payload = _loads(raw)
        except ValueError:
            self.breaker.record_failure()
            raise self._failure(UnavailableCode.MEMBER_ERROR) from None
        # The member answered: whatever it said, it is alive.
        self.breaker.record_success()
        errors = payload.get("errors") if isinstance(payload, dict) else None
        data = payload.get("data") if isinstance(payload, dict) else None
        if errors or not isinstance(data, dict):
            codes = _error_codes(errors)
            log.warning("member %s answered with errors %s", self.member.code, codes)
            raise self._failure(UnavailableCode.MEMBER_ERROR, codes)
        return data


def _dumps(value: Any) -> bytes:
    try:
        return orjson.dumps(value)
    except TypeError:  # beyond orjson (an integer over 64 bits): as before
        return json.dumps(value).encode()


def _loads(raw: bytes) -> Any:
    """A member's answer: orjson, or the standard library for what orjson refuses (NaN, an
    integer beyond 64 bits), so the hub reads exactly what it read before."""
    try:
        return orjson.loads(raw)
    except orjson.JSONDecodeError:
        return json.loads(raw)


def _error_codes(errors: Any) -> tuple[str, ...]:
    """The ``extensions.code`` of each error entry; whatever is off the contract is skipped."""
    if not isinstance(errors, list):
        return ()
    codes = []
    for error in errors:
        extensions = error.get("extensions") if isinstance(error, dict) else None
        if isinstance(extensions, dict):
            codes.append(str(extensions.get("code", "")))
    return tuple(codes)
