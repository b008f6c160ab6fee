"""A patron's own network account (issue 14): their loans, requests and fees at every member
where they have a linked account, asked with their own patron token.

The identity is the token's, never an argument, so a patron token reaches no one else's data.
The members called, the documents and the merge are Network Activity's (one call per member,
members that cannot answer named, links the member no longer has dropped from the index,
members whose linked accounts the hub has not synced named INDEX_NOT_READY / INDEX_STALE).
"""

from __future__ import annotations

from network_common.errors import Forbidden
from network_common.tokens import Principal

from ..activity.merge import ActivityView, MemberAnswer, merge_activity
from ..members.batching import MemberLoader, load_settled
from ..members.failures import MemberFailure
from ..runtime import HubRuntime

REFUSAL = "Only a patron signed in at their home institution sees their network account"


async def my_network_account(
    *, runtime: HubRuntime, loader: MemberLoader, principal: Principal
) -> ActivityView:
    """The calling patron's activity at the other members (read-only)."""
    if principal.kind != "patron":
        raise Forbidden(REFUSAL)
    identity = (principal.institution, principal.primary_id)
    links = await runtime.links.links_for(home=identity[0], user_id=identity[1])
    codes = [
        link.member_code
        for link in links
        if link.member_code != identity[0] and link.member_code in runtime.registry
    ]
    results = dict(
        zip(codes, await load_settled(loader, [(c, identity) for c in codes]), strict=True)
    )
    answers: list[MemberAnswer] = []
    failures: list[MemberFailure] = []
    gone: list[str] = []
    for member in runtime.registry.members:
        if member.code not in results:
            # Not asked: the hub may not know of an account there yet (index freshness).
            unknown = runtime.index_state.unavailable_code(member.code)
            if unknown is not None and member.code != identity[0]:
                failures.append(MemberFailure(member.code, member.name, unknown))
            continue
        result = results[member.code]
        if isinstance(result, MemberFailure):
            failures.append(result)
        elif result is None or not result.get("found"):
            gone.append(member.code)
        else:
            answers.append(
                MemberAnswer(
                    member,
                    result.get("loans") or [],
                    result.get("requests") or [],
                    result.get("fees") or [],
                )
            )
    if gone:
        await runtime.links.drop_links(home=identity[0], user_id=identity[1], members=gone)
    return merge_activity(
        answers, failures, patron_id=identity[1], home=identity, institution_filter=None
    )
