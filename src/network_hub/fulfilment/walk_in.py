"""Walk-in registration (DOMAIN §6, §9): a visiting patron of ``home`` at the caller's desk.

Guarded against harvesting another member's patrons (issue 10, item 11):
- the operator needs the consortial services privilege within a desk or user management
  role (the privilege DOMAIN §4 names for network work; docs/PRIVACY_LEDGER.md);
- the desk asks for what the visitor holds, their home primary id *and* last name, and the
  home matches both, answering a wrong name exactly as an unknown id;
- each operator makes at most ``walk_in_lookups_per_window`` lookups per window (refused with
  RATE_LIMITED), counted from the ledger, so every hub replica counts the same lookups;
- every lookup, matched or not, is a ledger entry of the patron it named.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from network_common.errors import DomainError, ErrorCode, Forbidden, InvalidInput, NotFound
from network_common.tokens import Principal
from network_common.vocabulary import DESK_ROLES, USER_ROLES, PrincipalKind

from ..ledger import entries as ledger
from . import documents
from .access import acting_desk, other_owner
from .calls import call, caller_key, claim_key
from .service import remember

if TYPE_CHECKING:
    from ..runtime import HubRuntime

WALK_IN_ROLES = DESK_ROLES | USER_ROLES
REFUSAL = (
    "Walk-in registration needs the consortial services privilege in a circulation desk "
    "or user management role"
)
NO_MATCH = "The home institution has no patron with this id and last name"
MAX_NAME = 128


def _privileged(principal: Principal) -> None:
    if principal.kind != PrincipalKind.STAFF or not any(
        g.consortial_services and g.role in WALK_IN_ROLES for g in principal.roles
    ):
        raise Forbidden(REFUSAL)


async def _look_up(
    *,
    runtime: HubRuntime,
    principal: Principal,
    home: str,
    home_user_id: str,
    last_name: str,
    key: str,
) -> dict[str, Any]:
    """The visitor's limited home record, looked up (and ledgered) under the rate limit."""
    settings = runtime.settings
    lookup = ledger.Crossing(
        kind=ledger.LedgerKind.WALK_IN_LOOKUP,
        patron=(home, home_user_id),
        actor=ledger.Actor.of(principal),
        from_member=home,
        to_member=principal.institution,
        fields=(),
        purpose="walk-in registration: identify a visitor at the desk",
        outcome=ledger.LedgerOutcome.NO_MATCH,
    )
    entry_id = await ledger.reserve_lookup(
        runtime=runtime,
        crossing=lookup,
        request_key=key,
        limit=settings.walk_in_lookups_per_window,
        window_seconds=settings.walk_in_lookup_window_seconds,
    )
    if entry_id is None:
        raise DomainError(
            f"At most {settings.walk_in_lookups_per_window} walk-in lookups per operator in "
            f"{settings.walk_in_lookup_window_seconds:g} s; try again later",
            code=ErrorCode.RATE_LIMITED,
        )
    data = await call(
        runtime=runtime,
        member=home,
        document=documents.DESK_PATRON,
        variables={"id": home_user_id, "lastName": last_name},
    )
    record: dict[str, Any] | None = data.get("deskPatron")
    if record is None or record.get("homeUserId") != home_user_id:
        raise NotFound(NO_MATCH)  # the entry stays NO_MATCH: nothing about anyone crossed
    await ledger.settle_lookup(
        runtime=runtime,
        entry_id=entry_id,
        outcome=ledger.LedgerOutcome.MATCHED,
        fields=ledger.PATRON_FIELDS,
    )
    return record


async def walk_in_register(
    *,
    runtime: HubRuntime,
    principal: Principal,
    home: str,
    home_user_id: str,
    last_name: str,
    desk_code: str,
    idempotency_key: str,
) -> dict[str, Any]:
    """The caller's desk registers a visiting patron of ``home``: a linked account at the
    caller's member (origin WALK_IN) from the home record, under the desk's registration
    rules (checked: the operator's roles cover the desk)."""
    _privileged(principal)
    if not home_user_id.strip() or not last_name.strip():
        raise InvalidInput("Give the visitor's home primary id and last name")
    if len(home_user_id) > MAX_NAME or len(last_name) > MAX_NAME:
        raise InvalidInput(f"At most {MAX_NAME} characters per id or name")
    key = caller_key(principal, idempotency_key)
    other_owner(runtime=runtime, principal=principal, owner=home)  # a member, not the caller
    desk = await acting_desk(
        runtime=runtime, principal=principal, desk_code=desk_code, roles=WALK_IN_ROLES
    )
    await claim_key(
        runtime=runtime,
        key=key,
        member=principal.institution,
        operation="WALK_IN",
        # The name is part of the step: one key cannot try several last names uncounted.
        payload={
            "patron": [home, home_user_id],
            "desk": desk["deskCode"],
            "lastName": last_name.strip().casefold(),
        },
    )
    record = await _look_up(
        runtime=runtime,
        principal=principal,
        home=home,
        home_user_id=home_user_id,
        last_name=last_name,
        key=key,
    )
    patron = {
        "homeInstitution": home,
        "homeUserId": home_user_id,
        **{k: record.get(k) for k in ledger.PATRON_FIELDS},
    }
    data = await call(
        runtime=runtime,
        member=principal.institution,
        document=documents.ENSURE,
        variables={"patron": patron, "key": key, "desk": desk["deskCode"]},
    )
    account: dict[str, Any] = data["ensureLinkedAccount"]
    await ledger.record(
        runtime=runtime,
        crossings=[
            ledger.Crossing(
                kind=ledger.LedgerKind.LINKED_ACCOUNT,
                patron=(home, home_user_id),
                actor=ledger.Actor.of(principal),
                from_member=home,
                to_member=principal.institution,
                fields=ledger.PATRON_FIELDS,
                purpose=f"walk-in registration at desk {desk['deskCode']}",
            )
        ],
    )
    await remember(runtime=runtime, owner=principal.institution, step=account)
    return {**account, "institutionCode": principal.institution}
