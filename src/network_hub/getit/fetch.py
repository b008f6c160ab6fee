"""Asking members for availability: one document per member per page, all concurrently.

Every record id of the page goes into the member's single ``availability`` call (DOMAIN §5:
never one call per record per institution); the home member's document also asks for its
``networkAvailabilityDisplay``. Anonymous answers may come from the :class:`AnswerCache`.
"""

from __future__ import annotations

import asyncio
import functools
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from network_common.vocabulary import AvailabilityDisplay, RemoteRegister

from ..members.client import MemberClient
from ..members.failures import MemberFailure, UnavailableCode
from .cache import AnswerCache
from .shaping import GetItShape

_ITEMS = """
holdings {
  libraryCode libraryName location callNumber
  items {
    barcode status dueAt loanable
    terms {
      loanPeriodDays renewalsAllowed requestable fees { kind amount currency }
      renewalPeriodDays pickupAllowed holdShelfDays fineGraceDays lostAfterDaysOverdue
      lostFeeRefunded
    }
  }
}
pickupPoints { institutionCode libraryCode libraryName }
"""
_RECORD = {
    "BRIEF": "recordId found totalItems availableItems requestable",
    "FULL": "recordId found totalItems availableItems requestable " + _ITEMS,
}


@functools.cache
def document(detail: GetItShape, *, with_display: bool, with_viewer: bool = False) -> str:
    """The member's availability document (with the home's display setting if asked, and
    the viewer's limited-information digest for a viewer)."""
    display = "member { networkAvailabilityDisplay }" if with_display else ""
    digest = " viewerDigest" if with_viewer else ""
    return (
        "query HubGetIt($ids: [String!]!, $viewer: NetworkIdentityInput, "
        "$detail: AvailabilityDetail!) { "
        + display
        + " availability(recordIds: $ids, viewer: $viewer, detail: $detail) { "
        "institutionCode institutionName uresolverRemoteRegister viewerLinked personalised"
        + digest
        + " records { "
        + _RECORD[detail]
        + " } } }"
    )


@dataclass
class MemberAnswer:
    """One member's answer for the page (records keyed by record id, as the member sent)."""

    code: str
    name: str
    setting: RemoteRegister
    viewer_linked: bool
    personalised: bool
    records: dict[str, dict[str, Any]] = field(default_factory=dict)
    display: AvailabilityDisplay | None = None
    #: The viewer's limited-information digest at this member (None: no account, anonymous).
    viewer_digest: str | None = None


#: Cache key (beside the record ids) of a member's answer-wide part: name, setting, display.
_META = "\0meta"


@dataclass(frozen=True, slots=True)
class Ask:
    detail: GetItShape
    viewer: dict[str, str] | None  # NetworkIdentityInput, None: anonymous
    home: str


async def _call(client: MemberClient, ids: list[str], ask: Ask, with_display: bool) -> Any:
    variables = {"ids": ids, "viewer": ask.viewer, "detail": ask.detail}
    doc = document(ask.detail, with_display=with_display, with_viewer=ask.viewer is not None)
    return await client.query(doc, variables)


async def ask_member(
    client: MemberClient,
    record_ids: Sequence[str],
    ask: Ask,
    *,
    cache: AnswerCache,
    ttl: float,
) -> MemberAnswer:
    """One member's answer for the page; raises MemberFailure when it cannot answer."""
    code = client.member.code
    is_home = code == ask.home
    cacheable = ask.viewer is None
    cached = cache.get_many(code, ask.detail, [*record_ids, _META], ttl=ttl) if cacheable else {}
    meta = cached.pop(_META, None)
    missing = [rid for rid in record_ids if rid not in cached]
    if is_home and meta is not None and meta.get("display") is None:
        meta = None
    if missing or meta is None:
        try:
            # Everything cached but the answer-wide part: ask for one record to get it.
            data = await _call(client, missing or list(record_ids[:1]), ask, is_home)
            block = data["availability"]
            meta = {
                "name": block["institutionName"],
                "setting": RemoteRegister(block["uresolverRemoteRegister"]),
                "viewerLinked": bool(block["viewerLinked"]),
                "personalised": bool(block["personalised"]),
                "display": (
                    AvailabilityDisplay(data["member"]["networkAvailabilityDisplay"])
                    if is_home
                    else None
                ),
                "digest": block.get("viewerDigest"),
            }
            fresh = {r["recordId"]: r for r in block["records"]}
        except (KeyError, TypeError, ValueError) as exc:  # an answer off the contract
            raise MemberFailure(code, client.member.name, UnavailableCode.MEMBER_ERROR) from exc
        if cacheable:
            cache.put_many(code, ask.detail, {**fresh, _META: meta}, ttl=ttl)
        cached.update(fresh)
    return MemberAnswer(
        code=code,
        name=meta["name"],
        setting=meta["setting"],
        viewer_linked=meta["viewerLinked"],
        personalised=meta["personalised"],
        records=cached,
        display=meta["display"],
        viewer_digest=meta.get("digest"),
    )


async def fan_out(
    clients: Sequence[MemberClient],
    record_ids: Sequence[str],
    ask: Ask,
    *,
    cache: AnswerCache,
    ttl: float,
) -> tuple[dict[str, MemberAnswer], list[MemberFailure]]:
    """Every member's answer, concurrently; the ones that failed come back as failures."""
    results = await asyncio.gather(
        *(ask_member(c, record_ids, ask, cache=cache, ttl=ttl) for c in clients),
        return_exceptions=True,
    )
    answers: dict[str, MemberAnswer] = {}
    failures: list[MemberFailure] = []
    for result in results:
        if isinstance(result, MemberFailure):
            failures.append(result)
        elif isinstance(result, BaseException):
            raise result
        else:
            answers[result.code] = result
    return answers, failures
