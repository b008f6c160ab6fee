"""Keeping each member's partner directory in step with the network file (DOMAIN §8).

Network members are resource sharing partners of each other without anyone retyping them:
the hub sends every member the list of all members (code, name, ISO 18626 endpoint, JWKS
URL), and each node adds, updates or deactivates its network partners to match. Run by
the ``partner-sync`` job with the index sync's schedule (``jobs.py``).
"""

from __future__ import annotations

import asyncio
import logging
from typing import TYPE_CHECKING, Any

from ..members.failures import MemberFailure
from . import documents

if TYPE_CHECKING:
    from ..runtime import HubRuntime

log = logging.getLogger(__name__)


def member_list(runtime: HubRuntime) -> list[dict[str, str]]:
    """Every member as a partner record (each node leaves itself out)."""
    return [
        {
            "code": m.code,
            "name": m.name,
            "iso18626Url": f"{m.url}/iso18626",
            "jwksUrl": m.jwks_url,
        }
        for m in runtime.registry.members
    ]


async def sync_partners(*, runtime: HubRuntime) -> dict[str, dict[str, Any] | None]:
    """Send the member list to every member at once; each one's report, or ``None`` for a
    member that did not answer (asked again at the next run)."""
    members = member_list(runtime)

    async def one(code: str) -> tuple[str, dict[str, Any] | None]:
        client = runtime.registry.get(code)
        assert client is not None
        try:
            data = await client.query(documents.SYNC_PARTNERS, {"members": members})
        except MemberFailure as failure:
            log.warning("partner sync: %s did not answer (%s)", code, failure.code)
            return code, None
        report: dict[str, Any] = data["report"]
        return code, report

    answers = await asyncio.gather(*(one(m["code"]) for m in members))
    return dict(answers)
