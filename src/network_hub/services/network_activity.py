"""Network Activity at the hub: authorize, find the members that hold linked accounts,
ask them all at once (one call each), merge, and forget links the members no longer have.

Never silently wrong (issue 10): a member whose linked accounts the hub has not synced, or
whose last sync failed, is named in ``unavailable`` (INDEX_NOT_READY / INDEX_STALE) unless it
was asked and answered; a patron id the index knows nothing about is checked at the home
(``homePatrons``), so a typo is NOT_FOUND rather than "no activity".
"""

from __future__ import annotations

import asyncio
import logging
from dataclasses import replace
from functools import partial
from typing import Any

from network_common.errors import DomainError, ErrorCode, NotFound
from network_common.tokens import Principal

from ..activity import access
from ..activity.merge import ActivityView, MemberAnswer, merge_activity
from ..activity.upstream import Identity
from ..ledger import entries as ledger
from ..members.batching import MemberLoader, load_settled
from ..members.failures import MemberFailure, UnavailableCode
from ..runtime import HubRuntime
from ..store import index

log = logging.getLogger("network_hub.activity")

HOME_PATRON_EXISTS = """
query HubHomePatronExists($ids: [String!]!) {
  homePatrons(primaryIds: $ids) { homeUserId isLinkedAccount sourceInstitution sourceUserId }
}
"""
#: Said for an id the home does not know; the same words as for any other missing patron.
UNKNOWN_PATRON = "No such patron"


async def _links(
    *, runtime: HubRuntime, institution: str, patron_id: str
) -> tuple[Identity, bool, list[index.IndexEntry]]:
    """The patron's network identity, whether the caller's record is itself a linked one, and
    the members holding linked accounts: all from the index, without calling any member."""
    links, record = await runtime.links.links_and_record(
        institution=institution, patron_id=patron_id
    )
    if record is None:
        return (institution, patron_id), False, links
    identity = (record.home_institution, record.home_user_id)
    links = await runtime.links.links_for(home=identity[0], user_id=identity[1])
    return identity, True, links


async def _cross_consortia(*, runtime: HubRuntime, institution: str) -> bool:
    status = await runtime.member_info.one(institution)
    if status is None or status.info is None:
        raise DomainError(
            "Your institution's network settings cannot be read right now",
            code=ErrorCode.MEMBER_UNAVAILABLE,
        )
    return status.info.cross_consortia_identifiers


async def network_activity(
    *,
    runtime: HubRuntime,
    loader: MemberLoader,
    principal: Principal,
    patron_id: str,
    patron_institution: str | None = None,
    institution_filter: str | None = None,
) -> ActivityView:
    """A patron's loans, requests and fees at every member holding a linked account."""
    institution = access.check_operator(principal, patron_institution=patron_institution)
    identity, is_linked_user, links = await _links(
        runtime=runtime, institution=institution, patron_id=patron_id
    )
    home_failure: MemberFailure | None = None
    if not is_linked_user and not _holders(runtime, links, institution):
        # Nothing to fan out to: the home says whether the patron exists at all (and whether
        # the record is a linked one the index has not learnt yet).
        home_failure, source = await _check_home(
            runtime=runtime, institution=institution, patron_id=patron_id
        )
        if source is not None:
            is_linked_user, identity = True, source
            links = await runtime.links.links_for(home=source[0], user_id=source[1])
    if is_linked_user:
        access.check_linked_user(
            cross_consortia_identifiers=await _cross_consortia(
                runtime=runtime, institution=institution
            )
        )
    # A patron with linked accounts is known (they were made from its home record).
    codes = _holders(runtime, links, institution)
    entry = _crossing(principal=principal, identity=identity, member="")
    ledger_ids: list[int] = []
    results: list[Any] = []
    if codes:
        # The ledger entries are written while the members answer (no added latency), once
        # the members have been asked; those that then send nothing are marked NO_MATCH below.
        asked = asyncio.get_running_loop().create_future()
        loader.once_asked(partial(_settle, asked))
        written = asyncio.create_task(
            _ledger(runtime=runtime, entry=entry, members=codes, after=asked)
        )
        try:
            results = await load_settled(loader, [(code, identity) for code in codes])
        finally:
            _settle(asked)  # the calls ended without a batch (never so far): write now
            ledger_ids = await written
    answers: list[MemberAnswer] = []
    failures: list[MemberFailure] = [home_failure] if home_failure is not None else []
    gone: list[str] = []
    by_code = dict(zip(codes, results, strict=True))
    for member in runtime.registry.members:  # network-file order
        if member.code not in by_code:
            # Not asked: fine if the index is fresh for it, else it may hold an account.
            unknown = runtime.index_state.unavailable_code(member.code)
            if unknown is not None and member.code not in (institution, identity[0]):
                failures.append(MemberFailure(member.code, member.name, unknown))
            continue
        result = by_code[member.code]
        if isinstance(result, MemberFailure):
            failures.append(result)
        elif result is None or not result.get("found"):
            gone.append(member.code)
        else:
            rows = (
                result.get("loans") or [],
                result.get("requests") or [],
                result.get("fees") or [],
            )
            answers.append(MemberAnswer(member, *rows))
    if gone:
        await _forget(runtime=runtime, identity=identity, members=gone)
    answered = {a.member.code for a in answers}
    silent = [i for code, i in zip(codes, ledger_ids, strict=True) if code not in answered]
    if silent:
        await ledger.not_crossed(runtime=runtime, entry_ids=silent)
    return merge_activity(
        answers,
        failures,
        patron_id=patron_id,
        home=identity,
        institution_filter=institution_filter,
    )


def _crossing(*, principal: Principal, identity: Identity, member: str) -> ledger.Crossing:
    return ledger.Crossing(
        kind=ledger.LedgerKind.NETWORK_ACTIVITY,
        patron=identity,
        actor=ledger.Actor.of(principal),
        from_member=member,
        to_member=principal.institution,
        fields=ledger.ACTIVITY_FIELDS,
        purpose="Network Activity viewed by home staff",
    )


def _settle(future: asyncio.Future[None]) -> None:
    if not future.done():
        future.set_result(None)


async def _ledger(
    *,
    runtime: HubRuntime,
    entry: ledger.Crossing,
    members: list[str],
    after: asyncio.Future[None],
) -> list[int]:
    """Each member asked for the patron's activity for home staff is a crossing (DOMAIN §9);
    written ``after`` the members were asked."""
    await after
    return await ledger.record(
        runtime=runtime, crossings=[replace(entry, from_member=code) for code in members]
    )


def _holders(runtime: HubRuntime, links: list[index.IndexEntry], institution: str) -> list[str]:
    """The members to ask: the index's holders, never the caller's own member."""
    return [
        link.member_code
        for link in links
        if link.member_code != institution and link.member_code in runtime.registry
    ]


async def _check_home(
    *, runtime: HubRuntime, institution: str, patron_id: str
) -> tuple[MemberFailure | None, Identity | None]:
    """NotFound when the home does not know ``patron_id``; else its failure when it cannot
    say, and the source identity when the record is a linked account."""
    client = runtime.registry.get(institution)
    if client is None:
        raise NotFound(UNKNOWN_PATRON)
    try:
        data = await client.query(HOME_PATRON_EXISTS, {"ids": [patron_id]})
        found = [p for p in data["homePatrons"] or () if p.get("homeUserId") == patron_id]
        source: Identity | None = None
        if found and found[0].get("isLinkedAccount"):
            source = (str(found[0]["sourceInstitution"]), str(found[0]["sourceUserId"]))
    except MemberFailure as failure:
        return failure, None
    except (KeyError, TypeError, AttributeError):
        off_contract = MemberFailure(institution, client.member.name, UnavailableCode.MEMBER_ERROR)
        return off_contract, None
    if not found:
        raise NotFound(UNKNOWN_PATRON)
    return None, source


async def _forget(*, runtime: HubRuntime, identity: Identity, members: list[str]) -> None:
    """Members said found=false: the linked account was deleted there (DOMAIN §3)."""
    log.info("dropping index rows of %s at %s", identity, members)
    await runtime.links.drop_links(home=identity[0], user_id=identity[1], members=members)
