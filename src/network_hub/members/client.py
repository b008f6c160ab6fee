"""One member's network API client: service token, timeout, breaker, failure mapping.

Each member gets its own aiohttp session (its own connection pool), created on first use
inside the running loop. ``http`` is an ``httpx.AsyncClient`` over the httpx-aiohttp
transport sharing that same session, for callers that want httpx's API (JWKS fetches, ...).
The hot path, ``query``, talks to the session directly: a single shared httpx pool costs
more than linearly with concurrent calls (ARCHITECTURE.md), and even over aiohttp httpx's
request/response layer adds ~0.4 ms of CPU per call, which a 50-member fan-out pays 50 times
on one core (bench/bench_network_activity.py measures it).
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
from yarl import URL

from ..network_file import Member
from .breaker import CircuitBreaker
from .failures import MemberFailure, UnavailableCode
from .service_tokens import ServiceTokens

log = logging.getLogger("network_hub.members")

#: Told about every member call: (member code, outcome ("OK" or an UnavailableCode), seconds).
CallObserver = Callable[[str, str, float], None]


def _ignore(_code: str, _outcome: str, _seconds: float) -> None:
    return None


MAX_CONNECTIONS = 100
#: For ``query``'s requests, which ``asyncio.timeout(member timeout)`` bounds as a whole:
#: aiohttp's own timers (total 300 s by default) would be armed and cancelled on every call.
_BOUNDED_OUTSIDE = aiohttp.ClientTimeout(
    total=None, connect=None, sock_read=None, sock_connect=None
)
#: A recovery probe (``probe``) waits at most this long (or the member timeout if shorter).
PROBE_TIMEOUT_SECONDS = 1.0


class SessionHolder:
    """One lazily created aiohttp session, shared by the hot path and the httpx client."""

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
        # The endpoint parsed once (aiohttp parses a str URL on every request).
        self._endpoint: tuple[str, URL] = ("", URL())

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
        headers = {
            "authorization": f"Bearer {self.service_token()}",
            "content-type": "application/json",
        }
        endpoint = self.member.network_endpoint
        if endpoint != self._endpoint[0]:
            self._endpoint = (endpoint, URL(endpoint))
        try:
            async with asyncio.timeout(self.timeout):
                session = self._sessions()
                async with session.post(
                    self._endpoint[1], data=body, headers=headers, timeout=_BOUNDED_OUTSIDE
                ) as response:
                    raw = await response.read()
                    status = response.status
        except TimeoutError:
            self.breaker.record_failure()
            raise self._failure(UnavailableCode.MEMBER_TIMEOUT) from None
        except asyncio.CancelledError:
            self.breaker.abandon()  # e.g. the caller went away mid-call
            raise
        except (aiohttp.ClientError, OSError) as exc:
            self.breaker.record_failure()
            log.warning("member %s unreachable: %s", self.member.code, exc)
            raise self._failure(UnavailableCode.MEMBER_UNAVAILABLE) from None
        return self._parse(status, raw)

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
