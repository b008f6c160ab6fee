"""Does a member in the network file really answer as that member? (docs/ONBOARDING.md)

Three things must agree for a member to be accepted:

1. the node at the entry's ``url`` declares itself (``/healthz``) with the entry's ``code``;
2. the node accepts this hub's service tokens (its ``NODE_HUB_JWKS_*`` setting holds the
   hub's current key, and its ``NODE_HUB_ISSUER`` is the hub's ``HUB_ISSUER``), and its
   network API says the same code (the running hub sees this in its own calls: ``members``
   names it from the member's answer);
3. the node publishes its own token keys (``/.well-known/jwks.json``), against which the hub
   checks its operators' and patrons' tokens.

``network-hub check-network`` runs these checks for every member; the running hub runs them
lazily (cached for ``ttl``) and refuses tokens issued in the name of a member that fails
them, with a log line and the reason shown by ``members``. A member that cannot be reached
is not refused for that (its breaker deals with outages): only a definite mismatch is.
"""

from __future__ import annotations

import asyncio
import logging
import time
from dataclasses import dataclass

import httpx

from .client import MemberClient
from .failures import MemberFailure
from .registry import MemberRegistry

log = logging.getLogger("network_hub.members")

CHECK_TIMEOUT = 5.0
VET = "query HubVet { member { code } }"


@dataclass(frozen=True, slots=True)
class MemberCheck:
    code: str
    url: str
    #: A definite mismatch: the member is refused (None: accepted, or not decided).
    mismatch: str | None = None
    #: The member could not be asked (down, timing out): not refused for that.
    unreachable: str | None = None

    @property
    def ok(self) -> bool:
        return self.mismatch is None and self.unreachable is None


async def check_member(
    client: MemberClient, *, hub_kid: str, hub_issuer: str, network_api: bool = True
) -> MemberCheck:
    """Run the checks of the module docstring against one member (without the network API
    call when ``network_api`` is false: the running hub learns that from its own calls)."""
    member = client.member
    try:
        health = await client.http.get(f"{member.url}/healthz", timeout=CHECK_TIMEOUT)
        declared = health.json().get("institution") if health.status_code in (200, 503) else None
        if health.status_code == 503:
            return MemberCheck(
                member.code, member.url, mismatch="the node has no institution loaded"
            )
        if health.status_code != 200 or not isinstance(declared, str):
            return MemberCheck(
                member.code,
                member.url,
                mismatch=f"{member.url} is not an institution node "
                f"(/healthz answered HTTP {health.status_code})",
            )
    except (httpx.HTTPError, ValueError, AttributeError) as exc:
        return MemberCheck(
            member.code, member.url, unreachable=f"cannot reach {member.url} ({type(exc).__name__})"
        )
    if declared != member.code:
        return MemberCheck(
            member.code,
            member.url,
            mismatch=f"the node at {member.url} says it is {declared}, the network file says "
            f"{member.code}",
        )
    if network_api:
        problem = await _network_api_problem(client, hub_kid=hub_kid, hub_issuer=hub_issuer)
        if problem is not None:
            return problem
    try:
        keys = await client.http.get(f"{member.url}/.well-known/jwks.json", timeout=CHECK_TIMEOUT)
        published = [
            k for k in keys.json().get("keys", []) if k.get("kid") and k.get("kty") == "EC"
        ]
    except (httpx.HTTPError, ValueError, AttributeError) as exc:
        return MemberCheck(member.code, member.url, unreachable=f"JWKS: {type(exc).__name__}")
    if not published:
        return MemberCheck(member.code, member.url, mismatch="the node publishes no signing key")
    return MemberCheck(member.code, member.url)


REFUSES_HUB_TOKENS = (
    "the node refuses this hub's service tokens: its NODE_HUB_JWKS_URL (or _JSON/_FILE) must "
    "hold the hub's key {kid} and its NODE_HUB_ISSUER must be {issuer!r}"
)


async def _network_api_problem(
    client: MemberClient, *, hub_kid: str, hub_issuer: str
) -> MemberCheck | None:
    member = client.member
    try:
        data = await client.query(VET)
        network_code = (data.get("member") or {}).get("code")
    except MemberFailure as failure:
        if "UNAUTHENTICATED" in failure.upstream_codes:
            return MemberCheck(
                member.code,
                member.url,
                mismatch=REFUSES_HUB_TOKENS.format(kid=hub_kid, issuer=hub_issuer),
            )
        return MemberCheck(member.code, member.url, unreachable=f"network API: {failure.message}")
    if network_code != member.code:
        return MemberCheck(
            member.code, member.url, mismatch=f"the network API says it is {network_code}"
        )
    try:
        keys = await client.http.get(f"{member.url}/.well-known/jwks.json", timeout=CHECK_TIMEOUT)
        published = [
            k for k in keys.json().get("keys", []) if k.get("kid") and k.get("kty") == "EC"
        ]
    except (httpx.HTTPError, ValueError, AttributeError) as exc:
        return MemberCheck(member.code, member.url, unreachable=f"JWKS: {type(exc).__name__}")
    if not published:
        return MemberCheck(member.code, member.url, mismatch="the node publishes no signing key")
    return MemberCheck(member.code, member.url)


class MemberVetting:
    """The running hub's verdicts, one per member, each checked again after ``ttl`` seconds."""

    def __init__(
        self, registry: MemberRegistry, *, hub_kid: object, hub_issuer: str, ttl: float = 60.0
    ) -> None:
        self._registry = registry
        self._hub_kid = hub_kid
        self._hub_issuer = hub_issuer
        self._ttl = ttl
        self._verdicts: dict[str, tuple[float, MemberCheck]] = {}
        self._locks: dict[str, asyncio.Lock] = {}

    def _kid(self) -> str:
        kid = self._hub_kid() if callable(self._hub_kid) else self._hub_kid
        return str(kid)

    async def check(self, code: str) -> MemberCheck | None:
        """The member's current verdict (asked when missing or older than ``ttl``)."""
        client = self._registry.get(code)
        if client is None:
            return None
        cached = self._verdicts.get(code)
        if cached is not None and time.monotonic() - cached[0] < self._ttl:
            return cached[1]
        lock = self._locks.setdefault(code, asyncio.Lock())
        async with lock:
            cached = self._verdicts.get(code)
            if cached is not None and time.monotonic() - cached[0] < self._ttl:
                return cached[1]
            verdict = await check_member(
                client, hub_kid=self._kid(), hub_issuer=self._hub_issuer, network_api=False
            )
            previous = cached[1].mismatch if cached else None
            if verdict.mismatch is not None and verdict.mismatch != previous:
                log.warning("member_refused code=%s reason=%s", code, verdict.mismatch)
            elif verdict.mismatch is None and previous is not None:
                log.warning("member_accepted code=%s", code)
            self._verdicts[code] = (time.monotonic(), verdict)
            return verdict

    async def refusal(self, code: str) -> str | None:
        """Why tokens in ``code``'s name are refused now (None: they are not)."""
        verdict = await self.check(code)
        return None if verdict is None else verdict.mismatch

    async def all(self) -> list[MemberCheck]:
        checks = await asyncio.gather(*(self.check(c.member.code) for c in self._registry))
        return [c for c in checks if c is not None]
