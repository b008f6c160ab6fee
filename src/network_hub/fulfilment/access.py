"""Who may act on another member's item through the hub, and at which desk.

The caller is a member's operator (verified staff token). The hub asks the caller's own
member which library the named desk belongs to and checks that the operator's roles cover
it; the owner then gets the acting institution, library and desk as labels the hub vouches
for. Whether that institution may take the step for this item is the owner's decision.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from network_common.errors import DomainError, ErrorCode, Forbidden, InvalidInput, NotFound
from network_common.tokens import Principal
from network_common.vocabulary import PrincipalKind, StaffRoleType

from . import documents
from .calls import call

if TYPE_CHECKING:
    from ..runtime import HubRuntime


def operator(principal: Principal, roles: frozenset[StaffRoleType], what: str) -> Principal:
    """A member's staff with one of ``roles``; anyone else is refused."""
    if principal.kind != PrincipalKind.STAFF or not principal.has_any_role(roles):
        raise Forbidden(f"Only circulation staff of a member may {what}")
    return principal


def other_owner(*, runtime: HubRuntime, principal: Principal, owner: str) -> str:
    """The owner must be another member (at home the desk's own API does the work)."""
    if owner == principal.institution:
        raise InvalidInput("Your own institution's items are handled at your own desk")
    if owner not in runtime.registry:
        raise NotFound(f"{owner} is not a member of this network")
    return owner


async def acting_desk(
    *,
    runtime: HubRuntime,
    principal: Principal,
    desk_code: str,
    roles: frozenset[StaffRoleType],
) -> dict[str, str | None]:
    """The ``ActingInput`` for the operator's desk, checked with the operator's member."""
    try:
        data = await call(
            runtime=runtime,
            member=principal.institution,
            document=documents.DESK,
            variables={"code": desk_code},
        )
    except DomainError as exc:
        if exc.code is ErrorCode.NOT_FOUND:
            # Named as the caller's own desk (the generic text speaks of the owner's items).
            raise NotFound(f"Your institution has no desk {desk_code}") from exc
        raise
    desk = data["networkDesk"]
    if not principal.scope(roles).covers(int(desk["libraryId"])):
        raise Forbidden(f"Your roles do not cover desk {desk_code}")
    return {
        "institution": principal.institution,
        "libraryCode": desk["libraryCode"],
        "libraryName": desk["libraryName"],
        "deskCode": desk["deskCode"],
        "replyTo": desk["replyTo"],
    }
