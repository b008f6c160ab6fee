"""An operator's scope for an action is computed from the roles allowed for it only
(DOMAIN §7): other roles add nothing, and no allowed role means no library at all."""

from __future__ import annotations

from network_common.tokens import Principal, RoleGrant
from network_common.vocabulary import DESK_ROLES, PrincipalKind, StaffRoleType

MAIN, LAW = 1, 2


def operator(*grants: RoleGrant) -> Principal:
    return Principal(
        kind=PrincipalKind.STAFF,
        institution="UNIA",
        user_id=7,
        primary_id="op",
        session_id="s",
        roles=grants,
    )


def grant(role: StaffRoleType, *libraries: int) -> RoleGrant:
    return RoleGrant(role, frozenset(libraries) if libraries else None, False)


def test_an_institution_wide_user_manager_with_a_desk_role_at_law_works_the_desk_at_law_only() -> (
    None
):
    who = operator(
        grant(StaffRoleType.USER_MANAGER),  # institution-wide
        grant(StaffRoleType.CIRCULATION_DESK_OPERATOR, LAW),
    )
    desk = who.scope(DESK_ROLES)
    assert (desk.institution, desk.libraries) == (False, frozenset({LAW}))
    assert desk.covers(LAW)
    assert not desk.covers(MAIN)
    assert not desk.covers(None)
    # For user management it is institution-wide; with no filter, the union of every role.
    assert who.scope(frozenset({StaffRoleType.USER_MANAGER})).institution
    assert who.scope().institution


def test_no_allowed_role_is_no_scope_not_the_whole_institution() -> None:
    who = operator(grant(StaffRoleType.USER_ADMINISTRATOR, MAIN))
    desk = who.scope(DESK_ROLES)
    assert (desk.institution, desk.libraries) == (False, frozenset())
    assert not desk.covers(MAIN)
    assert not desk.covers(None)
    assert not operator().scope(DESK_ROLES).institution


def test_library_grants_of_allowed_roles_add_up() -> None:
    who = operator(
        grant(StaffRoleType.CIRCULATION_DESK_OPERATOR, MAIN),
        grant(StaffRoleType.CIRCULATION_DESK_MANAGER, LAW),
        grant(StaffRoleType.FULFILLMENT_ADMINISTRATOR),
    )
    assert who.scope(DESK_ROLES).libraries == frozenset({MAIN, LAW})
    assert not who.scope(DESK_ROLES).institution
