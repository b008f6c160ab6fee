"""Steps at the caller's desk on another member's item "with owner B selected" (DOMAIN
§6.4-6.6): look it up, scan it in for pickup, loan it, check it in. Each function owns its
network document and the roles it needs; the owner decides whether the step is allowed for
its item, the hub checks the operator and the desk (``access.py``)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from network_common.errors import DomainError
from network_common.tokens import Principal
from network_common.vocabulary import DESK_ROLES, REQUEST_ROLES, StaffRoleType

from ..getit import linking
from ..ledger import entries as ledger
from . import documents
from .access import acting_desk, operator, other_owner
from .calls import call, caller_key, claim_key

if TYPE_CHECKING:
    from ..runtime import HubRuntime

#: Scanning in for a request is request work (as at the owner's own desks).
SCAN_ROLES: frozenset[StaffRoleType] = REQUEST_ROLES | frozenset(
    {StaffRoleType.CIRCULATION_DESK_OPERATOR_LIMITED}
)


async def _fresh_home_record(
    *, runtime: HubRuntime, identity: dict[str, Any]
) -> dict[str, Any] | None:
    """The patron's limited record from the home, so the owner refreshes the linked account
    the loan is made to (DOMAIN §3). Best effort: a home that cannot answer now does not
    stop a loan at the desk; the account is refreshed on the next use."""
    home, user_id = str(identity["homeInstitution"]), str(identity["homeUserId"])
    try:
        record = await linking.home_record(runtime=runtime, home=home, user_id=user_id)
    except DomainError:
        return None
    return {
        "homeInstitution": home,
        "homeUserId": user_id,
        **{k: record.get(k) for k in ("firstName", "lastName", "email", "userGroup", "expiryDate")},
    }


async def _act_for_owner(
    *,
    runtime: HubRuntime,
    principal: Principal,
    owner: str,
    desk_code: str,
    barcode: str,
    document: str,
    roles: frozenset[StaffRoleType],
    idempotency_key: str | None,
    extra: dict[str, Any] | None = None,
) -> dict[str, Any]:
    """One step on the owner's item at the caller's desk."""
    operator(principal, roles, "act on another member's item")
    variables: dict[str, Any] = {"barcode": barcode, **(extra or {})}
    if idempotency_key is not None:
        variables["key"] = caller_key(principal, idempotency_key)
    other_owner(runtime=runtime, principal=principal, owner=owner)
    variables["acting"] = await acting_desk(
        runtime=runtime, principal=principal, desk_code=desk_code, roles=roles
    )
    if document == documents.LOAN and extra is not None:
        variables["record"] = await _fresh_home_record(runtime=runtime, identity=extra["patron"])
    if "key" in variables:
        await claim_key(
            runtime=runtime,
            key=variables["key"],
            member=owner,
            operation=document,
            payload={"desk": desk_code, "barcode": barcode, **(extra or {})},
        )
    step: dict[str, Any] = (
        await call(runtime=runtime, member=owner, document=document, variables=variables)
    )["step"]
    record = variables.get("record")
    if record is not None:  # the owner refreshed the borrower's linked account from home
        await ledger.record(
            runtime=runtime,
            crossings=[
                ledger.Crossing(
                    kind=ledger.LedgerKind.LINKED_ACCOUNT,
                    patron=(str(record["homeInstitution"]), str(record["homeUserId"])),
                    actor=ledger.Actor.of(principal),
                    from_member=str(record["homeInstitution"]),
                    to_member=owner,
                    fields=ledger.PATRON_FIELDS,
                    purpose=f"loan at {principal.institution} desk {desk_code}",
                )
            ],
        )
    return step


async def owner_item(
    *, runtime: HubRuntime, principal: Principal, owner: str, desk_code: str, barcode: str
) -> dict[str, Any]:
    """The owner's item as the caller's desk may see it (no write)."""
    return await _act_for_owner(
        runtime=runtime,
        principal=principal,
        owner=owner,
        desk_code=desk_code,
        barcode=barcode,
        document=documents.ITEM,
        roles=SCAN_ROLES | DESK_ROLES,
        idempotency_key=None,
    )


async def receive_for_owner(
    *,
    runtime: HubRuntime,
    principal: Principal,
    owner: str,
    desk_code: str,
    barcode: str,
    idempotency_key: str,
) -> dict[str, Any]:
    """Scan the owner's item in at the caller's pickup desk (DOMAIN §6.4)."""
    return await _act_for_owner(
        runtime=runtime,
        principal=principal,
        owner=owner,
        desk_code=desk_code,
        barcode=barcode,
        document=documents.RECEIVE,
        roles=SCAN_ROLES,
        idempotency_key=idempotency_key,
    )


async def loan_for_owner(
    *,
    runtime: HubRuntime,
    principal: Principal,
    owner: str,
    desk_code: str,
    barcode: str,
    home_institution: str,
    home_user_id: str,
    idempotency_key: str,
) -> dict[str, Any]:
    """Loan the owner's held item to its patron at the caller's desk (DOMAIN §6.5)."""
    return await _act_for_owner(
        runtime=runtime,
        principal=principal,
        owner=owner,
        desk_code=desk_code,
        barcode=barcode,
        document=documents.LOAN,
        roles=DESK_ROLES,
        idempotency_key=idempotency_key,
        extra={"patron": {"homeInstitution": home_institution, "homeUserId": home_user_id}},
    )


async def return_for_owner(
    *,
    runtime: HubRuntime,
    principal: Principal,
    owner: str,
    desk_code: str,
    barcode: str,
    idempotency_key: str,
) -> dict[str, Any]:
    """Check the owner's item in at the caller's desk (DOMAIN §6.6)."""
    return await _act_for_owner(
        runtime=runtime,
        principal=principal,
        owner=owner,
        desk_code=desk_code,
        barcode=barcode,
        document=documents.RETURN,
        roles=DESK_ROLES,
        idempotency_key=idempotency_key,
    )
