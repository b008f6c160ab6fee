"""The hub's side of pickup anywhere (DOMAIN §6): check the caller, read what the step
needs from the members involved, then make the step's *single* write at the owner, last.

A member that fails before the write leaves nothing anywhere (the earlier calls were
reads); the owner's write is one transaction under an idempotency key derived from the
client's, so a client that lost the answer retries with the same key and gets the first
answer back. The hub's own index row (written after the owner answered) is rebuilt by the
next retry or by the periodic index sync.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from network_common.errors import DomainError, ErrorCode, Forbidden, Ineligible, InvalidInput
from network_common.tokens import Principal
from network_common.vocabulary import (
    DESK_ROLES,
    REQUEST_ROLES,
    AvailabilityDisplay,
    PrincipalKind,
)

from ..getit import linking
from ..ledger import entries as ledger
from ..store import index
from . import documents
from .access import other_owner
from .calls import call, caller_key, claim_key

if TYPE_CHECKING:
    from ..runtime import HubRuntime

REQUESTING_STAFF = REQUEST_ROLES | DESK_ROLES


@dataclass(frozen=True, slots=True)
class NetworkRequestAsk:
    owner: str
    pickup_institution: str
    pickup_library_code: str
    record_id: str | None
    barcode: str | None
    home_user_id: str | None


def _patron(principal: Principal, home_user_id: str | None) -> tuple[str, str]:
    """The patron acted for: the calling patron, or one named by their home's staff."""
    if principal.kind == PrincipalKind.PATRON:
        if home_user_id and home_user_id != principal.primary_id:
            raise Forbidden("Patrons act only for themselves")
        return principal.institution, principal.primary_id
    if principal.kind == PrincipalKind.STAFF and principal.has_any_role(REQUESTING_STAFF):
        if not home_user_id:
            raise InvalidInput("Name the patron (homeUserId) you act for")
        return principal.institution, home_user_id
    raise Forbidden("Only a patron, or staff of the patron's home institution, may do this")


async def _pickup_library(*, runtime: HubRuntime, ask: NetworkRequestAsk) -> dict[str, Any]:
    """The pickup place, checked with the pickup member itself (the owner checks its own)."""
    if ask.pickup_institution == ask.owner:
        return {"institution": ask.owner, "libraryCode": ask.pickup_library_code}
    data = await call(
        runtime=runtime,
        member=ask.pickup_institution,
        document=documents.PICKUP_LIBRARIES,
        variables={},
    )
    for lib in data["pickupLibraries"]:
        if lib["code"] == ask.pickup_library_code:
            return {
                "institution": ask.pickup_institution,
                "libraryCode": lib["code"],
                "libraryName": lib["name"],
            }
    raise Ineligible(
        f"{ask.pickup_library_code} is not a pickup library of {ask.pickup_institution}",
        code=ErrorCode.PICKUP_NOT_ALLOWED,
    )


async def remember(*, runtime: HubRuntime, owner: str, step: dict[str, Any]) -> None:
    """Put the owner's linked account (named in its answer) in the hub's index."""
    if not step.get("networkLinkId") or not step.get("homeInstitution"):
        return
    await runtime.links.record_link(
        index.IndexEntry(
            member_code=owner,
            home_institution=str(step["homeInstitution"]),
            home_user_id=str(step["homeUserId"]),
            network_link_id=str(step["networkLinkId"]),
            local_primary_id=str(step["localPrimaryId"]),
        )
    )
    runtime.getit_cache.invalidate(owner)


async def _direct_requests_offered(*, runtime: HubRuntime, home: str) -> None:
    """DOMAIN §5: a home showing other members as availability only sends its patrons
    through its own resource sharing; no direct request at another member (for the patron,
    nor for home staff acting for them)."""
    status = await runtime.member_info.one(home)
    info = status.info if status is not None else None
    if info is None:
        raise DomainError(
            "Your institution cannot be asked about its network settings now; try again later",
            code=ErrorCode.MEMBER_UNAVAILABLE,
        )
    if info.availability_display is not AvailabilityDisplay.HOLDINGS:
        raise Forbidden(
            "Your institution shows other members' availability only: request this through "
            "your institution's resource sharing",
            code=ErrorCode.RESOURCE_SHARING_ONLY,
        )


async def network_request(
    *, runtime: HubRuntime, principal: Principal, ask: NetworkRequestAsk, idempotency_key: str
) -> dict[str, Any]:
    """Request the owner's title or item for pickup at a member library (DOMAIN §6.1)."""
    key = caller_key(principal, idempotency_key)
    home, user_id = _patron(principal, ask.home_user_id)
    if ask.owner == home:
        raise InvalidInput("Request your own institution's items at your own institution")
    if (ask.record_id is None) == (ask.barcode is None):
        raise InvalidInput("Give either a record id (title level) or a barcode (item level)")
    other_owner(runtime=runtime, principal=principal, owner=ask.owner)
    await _direct_requests_offered(runtime=runtime, home=home)
    # Both reads at once: neither writes, so a failure of either leaves nothing behind.
    pickup, record = await asyncio.gather(
        _pickup_library(runtime=runtime, ask=ask),
        linking.home_record(runtime=runtime, home=home, user_id=user_id),
    )
    patron = {
        "homeInstitution": home,
        "homeUserId": user_id,
        **{k: record.get(k) for k in ("firstName", "lastName", "email", "userGroup", "expiryDate")},
    }
    variables = {
        "patron": patron,
        "pickup": pickup,
        "key": key,
        "record": ask.record_id,
        "barcode": ask.barcode,
    }
    await claim_key(
        runtime=runtime,
        key=key,
        member=ask.owner,
        operation="PLACE",
        payload={
            "patron": [home, user_id],
            "pickup": [ask.pickup_institution, ask.pickup_library_code],
            "record": ask.record_id,
            "barcode": ask.barcode,
        },
    )
    step: dict[str, Any] = (
        await call(runtime=runtime, member=ask.owner, document=documents.PLACE, variables=variables)
    )["step"]
    # The owner made (or refreshed) the patron's linked account from the home record.
    await ledger.record(
        runtime=runtime,
        crossings=[
            ledger.Crossing(
                kind=ledger.LedgerKind.LINKED_ACCOUNT,
                patron=(home, user_id),
                actor=ledger.Actor.of(principal),
                from_member=home,
                to_member=ask.owner,
                fields=ledger.PATRON_FIELDS,
                purpose=f"network request for pickup at {ask.pickup_institution}",
            )
        ],
    )
    await remember(runtime=runtime, owner=ask.owner, step=step)
    return step


async def cancel_network_request(
    *,
    runtime: HubRuntime,
    principal: Principal,
    owner: str,
    request_id: int,
    reason: str,
    home_user_id: str | None,
    idempotency_key: str,
) -> dict[str, Any]:
    """The patron (or home staff for them) cancels a request at the owner; a moving item
    goes home."""
    key = caller_key(principal, idempotency_key)
    home, user_id = _patron(principal, home_user_id)
    other_owner(runtime=runtime, principal=principal, owner=owner)
    variables = {
        "patron": {"homeInstitution": home, "homeUserId": user_id},
        "id": request_id,
        "reason": reason,
        "key": key,
    }
    await claim_key(
        runtime=runtime,
        key=key,
        member=owner,
        operation="CANCEL",
        payload={"patron": [home, user_id], "id": request_id, "reason": reason},
    )
    step: dict[str, Any] = (
        await call(runtime=runtime, member=owner, document=documents.CANCEL, variables=variables)
    )["step"]
    return step
