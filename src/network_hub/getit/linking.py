"""Creating (or refreshing) a patron's linked account at a remote member (DOMAIN §3).

The hub first reads the patron's limited home record from the home member (``homePatrons``)
so the account is made, or refreshed, from the truth; then asks the remote member's
``ensureLinkedAccount`` with an idempotency key derived from (member, home, patron, origin,
home record), so retries and concurrent calls converge on one account; then remembers the
link in its index and forgets cached answers for that member.
"""

from __future__ import annotations

import hashlib
import json
import time
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from network_common.errors import DomainError, ErrorCode, Forbidden, NotFound
from network_common.vocabulary import LinkOrigin

from ..ledger import entries as ledger
from ..members.failures import MemberFailure
from ..store import index

if TYPE_CHECKING:
    from ..runtime import HubRuntime

HOME_PATRON = """
query HubHomePatron($ids: [String!]!) {
  homePatrons(primaryIds: $ids) {
    homeInstitution homeUserId firstName lastName email userGroup expiryDate
  }
}
"""
ENSURE = """
mutation HubEnsureLink($patron: NetworkPatronInput!, $origin: LinkOrigin!, $key: String!) {
  ensureLinkedAccount(patron: $patron, origin: $origin, idempotencyKey: $key) {
    localPrimaryId networkLinkId
  }
}
"""
REFRESH = """
mutation HubRefreshLink($patron: NetworkPatronInput!, $key: String!) {
  refreshLinkedAccount(patron: $patron, idempotencyKey: $key) { localPrimaryId }
}
"""
_PATRON_FIELDS = ("firstName", "lastName", "email", "userGroup", "expiryDate")


@dataclass(frozen=True, slots=True)
class Link:
    member: str
    network_link_id: str
    local_primary_id: str


def _unreachable(failure: MemberFailure) -> DomainError:
    return DomainError(
        f"{failure.member_name}: {failure.message}", code=ErrorCode.MEMBER_UNAVAILABLE
    )


#: Keys roll over after this long. The node finds an existing account by identity anyway
#: (one per patron, DOMAIN §3); the key makes retries replays, and rolling it lets a later
#: visit refresh the account, or make it again if the member deleted it.
KEY_WINDOW_SECONDS = 300
clock = time.time


def idempotency_key(
    member: str,
    home: str,
    user_id: str,
    origin: str,  # a LinkOrigin, or REFRESH
    record: Any,
    *,
    now: float | None = None,
) -> str:
    """Same patron, member, origin and home record within a window: same key (a replay)."""
    window = int((clock() if now is None else now) // KEY_WINDOW_SECONDS)
    digest = hashlib.sha256(
        json.dumps([member, home, user_id, origin, record, window], sort_keys=True).encode()
    ).hexdigest()
    return f"hub-link:{digest[:48]}"


async def home_record(*, runtime: HubRuntime, home: str, user_id: str) -> dict[str, Any]:
    """The patron's limited record from the home member (NotFound when it has none)."""
    client = runtime.registry.get(home)
    if client is None:
        raise NotFound("The patron's home institution is not a member of this network")
    try:
        data = await client.query(HOME_PATRON, {"ids": [user_id]})
    except MemberFailure as failure:
        raise _unreachable(failure) from failure
    found = [p for p in data.get("homePatrons") or [] if p.get("homeUserId") == user_id]
    if not found:
        raise NotFound("The home institution does not know this patron")
    return dict(found[0])


async def ensure_link(
    *,
    runtime: HubRuntime,
    member: str,
    home: str,
    user_id: str,
    origin: LinkOrigin,
    record: dict[str, Any],
    actor: ledger.Actor,
) -> Link:
    """The patron's linked account at ``member``, created once or refreshed (ledgered)."""
    client = runtime.registry.get(member)
    if client is None:
        raise NotFound("No such member institution")
    patron: dict[str, Any] = {"homeInstitution": home, "homeUserId": user_id}
    patron.update({k: record.get(k) for k in _PATRON_FIELDS})
    variables = {
        "patron": patron,
        "origin": origin,
        "key": idempotency_key(member, home, user_id, origin, patron),
    }
    try:
        data = await client.query(ENSURE, variables)
    except MemberFailure as failure:
        if ErrorCode.REGISTRATION_DISABLED.value in failure.upstream_codes:
            raise Forbidden(
                f"{client.member.name} does not register patrons of other institutions",
                code=ErrorCode.REGISTRATION_DISABLED,
            ) from failure
        raise _unreachable(failure) from failure
    account = data["ensureLinkedAccount"]
    link = Link(member, str(account["networkLinkId"]), str(account["localPrimaryId"]))
    await runtime.links.record_link(
        index.IndexEntry(
            member_code=member,
            home_institution=home,
            home_user_id=user_id,
            network_link_id=link.network_link_id,
            local_primary_id=link.local_primary_id,
        )
    )
    runtime.getit_cache.invalidate(member)
    await ledger.record(
        runtime=runtime,
        crossings=[
            ledger.Crossing(
                kind=ledger.LedgerKind.GETIT_REGISTRATION
                if origin is LinkOrigin.REGISTER
                else ledger.LedgerKind.LINKED_ACCOUNT,
                patron=(home, user_id),
                actor=actor,
                from_member=home,
                to_member=member,
                fields=ledger.PATRON_FIELDS,
                purpose=_PURPOSES[origin],
            )
        ],
    )
    return link


_PURPOSES = {
    LinkOrigin.REGISTER: "Register in Get It",
    LinkOrigin.AUTO: "Get It opened at a member that registers automatically",
    LinkOrigin.WALK_IN: "walk-in registration",
    LinkOrigin.REQUEST: "network request",
}


async def refresh_link(
    *,
    runtime: HubRuntime,
    member: str,
    home: str,
    user_id: str,
    record: dict[str, Any],
    actor: ledger.Actor,
) -> bool:
    """Bring the patron's existing linked account at ``member`` up to the home record;
    False when the member has no account for them (any more)."""
    client = runtime.registry.get(member)
    if client is None:
        raise NotFound("No such member institution")
    patron: dict[str, Any] = {"homeInstitution": home, "homeUserId": user_id}
    patron.update({k: record.get(k) for k in _PATRON_FIELDS})
    key = idempotency_key(member, home, user_id, "REFRESH", patron)
    try:
        data = await client.query(REFRESH, {"patron": patron, "key": key})
    except MemberFailure as failure:
        raise _unreachable(failure) from failure
    refreshed = data.get("refreshLinkedAccount") is not None
    if refreshed:
        await ledger.record(
            runtime=runtime,
            crossings=[
                ledger.Crossing(
                    kind=ledger.LedgerKind.LINKED_ACCOUNT,
                    patron=(home, user_id),
                    actor=actor,
                    from_member=home,
                    to_member=member,
                    fields=ledger.PATRON_FIELDS,
                    purpose="linked account refreshed from the home record (Get It)",
                )
            ],
        )
    return refreshed
