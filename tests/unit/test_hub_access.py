"""Who may see Network Activity (DOMAIN §4), decided without I/O."""

from __future__ import annotations

import pytest

from network_common.errors import Forbidden
from network_common.tokens import Principal, RoleGrant
from network_common.vocabulary import PrincipalKind, StaffRoleType
from network_hub.activity.access import (
    LINKED_USER_REFUSAL,
    REFUSAL,
    check_linked_user,
    check_operator,
)


def principal(*grants: RoleGrant, kind: str = "staff", institution: str = "UNIA") -> Principal:
    return Principal(kind, institution, 1, "op", "sid", tuple(grants))


def grant(role: StaffRoleType, cs: bool = True) -> RoleGrant:
    return RoleGrant(role, None, cs)


@pytest.mark.parametrize(
    "role",
    [
        StaffRoleType.CIRCULATION_DESK_MANAGER,
        StaffRoleType.CIRCULATION_DESK_OPERATOR,
        StaffRoleType.CIRCULATION_DESK_OPERATOR_LIMITED,
        StaffRoleType.USER_MANAGER,
        StaffRoleType.USER_ADMINISTRATOR,
    ],
)
def test_consortial_services_within_a_listed_role_is_allowed(role: StaffRoleType) -> None:
    assert check_operator(principal(grant(role)), patron_institution=None) == "UNIA"
    assert check_operator(principal(grant(role)), patron_institution="UNIA") == "UNIA"


@pytest.mark.parametrize(
    "caller",
    [
        principal(grant(StaffRoleType.CIRCULATION_DESK_MANAGER, cs=False)),
        # The privilege on a role outside the list does not count.
        principal(grant(StaffRoleType.REQUESTS_OPERATOR)),
        principal(grant(StaffRoleType.FULFILLMENT_ADMINISTRATOR)),
        principal(
            grant(StaffRoleType.FULFILLMENT_ADMINISTRATOR),
            grant(StaffRoleType.CIRCULATION_DESK_OPERATOR, cs=False),
        ),
        principal(grant(StaffRoleType.CIRCULATION_DESK_MANAGER), kind=PrincipalKind.PATRON),
        principal(grant(StaffRoleType.CIRCULATION_DESK_MANAGER), kind=PrincipalKind.DISCOVERY),
    ],
)
def test_everyone_else_gets_the_one_refusal(caller: Principal) -> None:
    with pytest.raises(Forbidden) as refused:
        check_operator(caller, patron_institution=None)
    assert refused.value.message == REFUSAL


def test_operators_of_another_institution_are_refused() -> None:
    caller = principal(grant(StaffRoleType.CIRCULATION_DESK_MANAGER), institution="UNIB")
    with pytest.raises(Forbidden) as refused:
        check_operator(caller, patron_institution="UNIA")
    assert refused.value.message == REFUSAL


def test_linked_users_need_cross_consortia_identifiers() -> None:
    check_linked_user(cross_consortia_identifiers=True)
    with pytest.raises(Forbidden) as refused:
        check_linked_user(cross_consortia_identifiers=False)
    assert refused.value.message == LINKED_USER_REFUSAL
