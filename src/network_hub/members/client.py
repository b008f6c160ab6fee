"""One member's network API client: service token, timeout, breaker, failure mapping.

Each member gets its own ``httpx.AsyncClient`` over the httpx-aiohttp transport (made in the
app's lifespan): a single shared httpx pool costs more than linearly with concurrent calls
(ARCHITECTURE.md, fan-out numbers), while aiohttp's connector stays close to the floor.
"""

from __future__ import annotations

import asyncio
import json
import logging
from typing import Any

import httpx
from httpx_aiohttp import AiohttpTransport

from ..network_file import Member
from .breaker import CircuitBreaker
from .failures import MemberFailure, UnavailableCode
from .service_tokens import ServiceTokens

log = logging.getLogger("network_hub.members")


def make_http_client() -> httpx.AsyncClient:
    """An httpx client whose requests go through aiohttp (one per member)."""
    limits = httpx.Limits(max_connections=100, max_keepalive_connections=100)
    transport = AiohttpTransport(limits=limits, trust_env=False)
    return httpx.AsyncClient(transport=transport, trust_env=False)


class MemberClient:
    def __init__(
        self,
        member: Member,
        *,
        http: httpx.AsyncClient,
        tokens: ServiceTokens,
        breaker: CircuitBreaker,
        timeout: float,
    ) -> None:
        self.member = member
        self.http = http
        self.breaker = breaker
        self.timeout = timeout
        self._tokens = tokens
        #: Calls actually sent (tests and metrics read it).
        self.calls = 0

    def _failure(self, code: UnavailableCode, upstream: tuple[str, ...] = ()) -> MemberFailure:
        return MemberFailure(self.member.code, self.member.name, code, upstream)

    async def query(self, document: str, variables: dict[str, Any] | None = None) -> dict[str, Any]:
        """Run one document at the member's network API; its ``data`` or a MemberFailure."""
        if not self.breaker.allow():
            raise self._failure(UnavailableCode.CIRCUIT_OPEN)
        self.calls += 1
        body = json.dumps({"query": document, "variables": variables or {}}).encode()
        headers = {
            "authorization": f"Bearer {self._tokens.for_member(self.member.code)}",
            "content-type": "application/json",
        }
        try:
            async with asyncio.timeout(self.timeout):
                response = await self.http.post(
                    self.member.network_endpoint, content=body, headers=headers
                )
                raw = await response.aread()
        except TimeoutError:
            self.breaker.record_failure()
            raise self._failure(UnavailableCode.MEMBER_TIMEOUT) from None
        except (httpx.HTTPError, OSError) as exc:
            self.breaker.record_failure()
            log.warning("member %s unreachable: %s", self.member.code, exc)
            raise self._failure(UnavailableCode.MEMBER_UNAVAILABLE) from None
        return self._parse(response.status_code, raw)

    def _parse(self, status: int, raw: bytes) -> dict[str, Any]:
        if status >= 500:
            self.breaker.record_failure()
            raise self._failure(UnavailableCode.MEMBER_ERROR)
        try:
            payload = json.loads(raw)
        except ValueError:
            self.breaker.record_failure()
            raise self._failure(UnavailableCode.MEMBER_ERROR) from None
        # The member answered: whatever it said, it is alive.
        self.breaker.record_success()
        errors = payload.get("errors") if isinstance(payload, dict) else None
        data = payload.get("data") if isinstance(payload, dict) else None
        if errors or not isinstance(data, dict):
            codes = tuple(
                str((e.get("extensions") or {}).get("code", "")) for e in errors or [] if e
            )
            log.warning("member %s answered with errors %s", self.member.code, codes)
            raise self._failure(UnavailableCode.MEMBER_ERROR, codes)
        return data
