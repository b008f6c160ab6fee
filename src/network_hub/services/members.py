"""The ``members`` overview: each member's own answer and whether the hub accepts it."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass
from typing import TYPE_CHECKING

from ..members.info import MemberStatus
from ..members.vetting import REFUSES_HUB_TOKENS

if TYPE_CHECKING:
    from ..runtime import HubRuntime


@dataclass(frozen=True, slots=True)
class MemberOverview:
    status: MemberStatus
    #: Why the hub refuses this member (docs/ONBOARDING.md), None: accepted.
    problem: str | None


async def member_overview(*, runtime: HubRuntime) -> list[MemberOverview]:
    """Every member in network-file order, with the hub's verdict on it."""
    statuses, checks = await asyncio.gather(runtime.member_info.all(), runtime.vetting.all())
    problems = {c.code: c.mismatch for c in checks}
    out = []
    for status in statuses:
        problem = problems.get(status.code)
        failure = status.failure
        if problem is None and failure is not None and "UNAUTHENTICATED" in failure.upstream_codes:
            problem = REFUSES_HUB_TOKENS.format(
                kid=runtime.keyring.current.kid, issuer=runtime.settings.issuer
            )
        out.append(MemberOverview(status=status, problem=problem))
    return out
