"""Pickup anywhere on the hub's schema: network requests, acting "with owner B selected"
at the caller's desk, walk-in registration (issue 6). Thin: check, call the service, map.

Answers are the owner's rows as it sent them (dicts read by the schema's default resolver),
so field names are the wire's camelCase.
"""

from __future__ import annotations

from typing import Any

import strawberry

from network_common.graphql_vocabulary import LoanStatus, NextStep, RequestStatus

from ..schema.context import HubInfo
from . import desk, service, walk_in

# Field names are the wire's camelCase: the answer is the owner's dict, read as it came.


@strawberry.type(
    description="The owner's item after a step: its request and/or loan at the owner, and "
    "where the item goes next (times ISO 8601)."
)
class OwnerStep:
    ownerInstitution: str
    barcode: str | None
    title: str | None
    requestId: int | None
    requestStatus: RequestStatus | None
    pickupInstitution: str | None
    pickupLibraryCode: str | None
    pickupLibraryName: str | None
    holdShelfExpiry: str | None
    loanStatus: LoanStatus | None
    loanInstitution: str | None
    dueDate: str | None
    nextStep: NextStep | None
    destinationInstitution: str | None
    destinationLibraryCode: str | None
    destinationLibraryName: str | None
    patronName: str | None
    homeInstitution: str | None
    homeUserId: str | None


@strawberry.type(description="A visiting patron's linked account at the caller's member.")
class WalkInAccount:
    institutionCode: str
    localPrimaryId: str
    homeInstitution: str
    homeUserId: str
    networkLinkId: str
    firstName: str
    lastName: str
    email: str | None
    userGroup: str | None
    expiryDate: str | None


def _step(data: dict[str, Any]) -> OwnerStep:
    found: Any = data  # a dict, read by the schema's default resolver
    return found  # type: ignore[no-any-return]


@strawberry.type
class FulfilmentQuery:
    @strawberry.field(
        description="The owner's item as your desk may see it: the request it travels or "
        "waits for at your institution, or the loan made there. NOT_FOUND otherwise."
    )
    async def owner_item(
        self, info: HubInfo, owner: str, barcode: str, desk_code: str
    ) -> OwnerStep:
        ctx = info.context
        step = await desk.owner_item(
            runtime=ctx.runtime,
            principal=ctx.caller(),
            owner=owner,
            desk_code=desk_code,
            barcode=barcode,
        )
        return _step(step)


@strawberry.type
class FulfilmentMutation:
    @strawberry.mutation(
        description="Request another member's title (recordId) or item (barcode) for pickup "
        "at a library of a member that owner allows. Caller: the patron, or staff of the "
        "patron's home naming homeUserId. The request lives at the owner."
    )
    async def network_request(
        self,
        info: HubInfo,
        owner: str,
        pickup_institution: str,
        pickup_library_code: str,
        idempotency_key: str,
        record_id: str | None = None,
        barcode: str | None = None,
        home_user_id: str | None = None,
    ) -> OwnerStep:
        ctx = info.context
        ask = service.NetworkRequestAsk(
            owner=owner,
            pickup_institution=pickup_institution,
            pickup_library_code=pickup_library_code,
            record_id=record_id,
            barcode=barcode,
            home_user_id=home_user_id,
        )
        step = await service.network_request(
            runtime=ctx.runtime, principal=ctx.caller(), ask=ask, idempotency_key=idempotency_key
        )
        return _step(step)

    @strawberry.mutation(description="Cancel a network request at its owner; the item goes home.")
    async def cancel_network_request(
        self,
        info: HubInfo,
        owner: str,
        request_id: int,
        reason: str,
        idempotency_key: str,
        home_user_id: str | None = None,
    ) -> OwnerStep:
        ctx = info.context
        step = await service.cancel_network_request(
            runtime=ctx.runtime,
            principal=ctx.caller(),
            owner=owner,
            request_id=request_id,
            reason=reason,
            home_user_id=home_user_id,
            idempotency_key=idempotency_key,
        )
        return _step(step)

    @strawberry.mutation(
        description="Scan in the owner's item at your pickup desk: the request goes on your "
        "hold shelf and the patron is told (or: where an item whose request ended goes)."
    )
    async def receive_for_owner(
        self, info: HubInfo, owner: str, barcode: str, desk_code: str, idempotency_key: str
    ) -> OwnerStep:
        ctx = info.context
        step = await desk.receive_for_owner(
            runtime=ctx.runtime,
            principal=ctx.caller(),
            owner=owner,
            desk_code=desk_code,
            barcode=barcode,
            idempotency_key=idempotency_key,
        )
        return _step(step)

    @strawberry.mutation(
        description="Loan the owner's held item to its patron at your desk: the owner's loan "
        "(its rules and fees), your desk and library."
    )
    async def loan_for_owner(
        self,
        info: HubInfo,
        owner: str,
        barcode: str,
        desk_code: str,
        home_institution: str,
        home_user_id: str,
        idempotency_key: str,
    ) -> OwnerStep:
        ctx = info.context
        step = await desk.loan_for_owner(
            runtime=ctx.runtime,
            principal=ctx.caller(),
            owner=owner,
            desk_code=desk_code,
            barcode=barcode,
            home_institution=home_institution,
            home_user_id=home_user_id,
            idempotency_key=idempotency_key,
        )
        return _step(step)

    @strawberry.mutation(
        description="Check the owner's item in at your desk (where it was loaned, or any "
        "member when the owner allows return anywhere): the loan ends, the item goes home."
    )
    async def return_for_owner(
        self, info: HubInfo, owner: str, barcode: str, desk_code: str, idempotency_key: str
    ) -> OwnerStep:
        ctx = info.context
        step = await desk.return_for_owner(
            runtime=ctx.runtime,
            principal=ctx.caller(),
            owner=owner,
            desk_code=desk_code,
            barcode=barcode,
            idempotency_key=idempotency_key,
        )
        return _step(step)

    @strawberry.mutation(
        description="Register a visiting patron of another member at your institution "
        "(walk-in) at one of your desks: their home primary id and last name, matched at "
        "their home, make a linked account from the home record under that desk's "
        "registration rules; then loan at your desk as usual. Needs the consortial services "
        "privilege; lookups are rate-limited per operator (RATE_LIMITED) and ledgered."
    )
    async def walk_in_register(
        self,
        info: HubInfo,
        home_institution: str,
        home_user_id: str,
        last_name: str,
        desk_code: str,
        idempotency_key: str,
    ) -> WalkInAccount:
        ctx = info.context
        account = await walk_in.walk_in_register(
            runtime=ctx.runtime,
            principal=ctx.caller(),
            home=home_institution,
            home_user_id=home_user_id,
            last_name=last_name,
            desk_code=desk_code,
            idempotency_key=idempotency_key,
        )
        found: Any = account
        return found  # type: ignore[no-any-return]
