"""Tokens a member has ended: the hub refuses them at once, as the member does.

A member's tokens are stateless JWTs; the member refuses a disabled operator's, a revoked
API key's or an ended session's token on its own staff API on every request. So that the
hub does not accept them until they expire, it asks each issuing member for its ended
sessions (``GET /network/ended-sessions``, with the hub's service token) at most every
``HUB_ENDED_SESSIONS_SECONDS`` and checks every caller against the answer. A member that
cannot answer keeps its last answer (or none): its tokens still verify, and the failure is
logged; the next request asks again after the same interval.
"""

from __future__ import annotations

import asyncio
import logging
import time
from dataclasses import dataclass

import httpx

from network_common.tokens import Principal
from network_common.vocabulary import PrincipalKind

from .registry import MemberRegistry

log = logging.getLogger("network_hub.callers")

#: Budget of one question (the member's own timeout setting is for Network Activity).
ASK_TIMEOUT = 3.0


@dataclass(frozen=True, slots=True)
class Ended:
    revoked_keys: frozenset[str]
    #: user id -> (current session epoch, disabled)
    staff: dict[int, tuple[int, bool]]

    def refuses(self, principal: Principal) -> bool:
        if principal.api_key_id is not None and principal.api_key_id in self.revoked_keys:
            return True
        if principal.kind is PrincipalKind.STAFF and principal.user_id is not None:
            epoch, disabled = self.staff.get(principal.user_id, (0, False))
            return disabled or epoch != principal.session_epoch
        return False

    @classmethod
    def decode(cls, answer: object) -> Ended:
        if not isinstance(answer, dict):
            raise TypeError("endedSessions is not an object")
        return cls(
            revoked_keys=frozenset(str(k) for k in answer["revokedKeyIds"]),
            staff={
                int(s["userId"]): (int(s["sessionEpoch"]), bool(s["disabled"]))
                for s in answer["staff"]
            },
        )


class EndedSessions:
    """Per member: its last answer and when it was asked (one question in flight at most)."""

    def __init__(self, registry: MemberRegistry, *, ttl: float) -> None:
        self._registry = registry
        self._ttl = ttl
        self._known: dict[str, tuple[float, Ended | None]] = {}
        self._asking: dict[str, asyncio.Future[Ended | None]] = {}

    async def refuses(self, principal: Principal) -> bool:
        if principal.kind not in (PrincipalKind.STAFF, PrincipalKind.DISCOVERY):
            return False
        ended = await self._current(principal.institution)
        return ended is not None and ended.refuses(principal)

    async def _current(self, code: str) -> Ended | None:
        known = self._known.get(code)
        if known is not None and time.monotonic() - known[0] < self._ttl:
            return known[1]
        asking = self._asking.get(code)
        if asking is None:
            asking = asyncio.ensure_future(self._ask(code, known[1] if known else None))
            self._asking[code] = asking
            asking.add_done_callback(lambda _f: self._asking.pop(code, None))
        return await asyncio.shield(asking)

    async def _ask(self, code: str, previous: Ended | None) -> Ended | None:
        client = self._registry.get(code)
        if client is None:
            return None
        ended = previous
        try:
            answer = await client.http.get(
                f"{client.member.url}/network/ended-sessions",
                headers={"authorization": f"Bearer {client.service_token()}"},
                timeout=ASK_TIMEOUT,
            )
            answer.raise_for_status()
            ended = Ended.decode(answer.json())
        except (httpx.HTTPError, KeyError, TypeError, ValueError) as exc:
            log.warning(
                "ended sessions of %s unknown (%r): its tokens are not re-checked", code, exc
            )
        self._known[code] = (time.monotonic(), ended)
        return ended
