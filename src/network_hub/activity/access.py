"""Who may see a patron's Network Activity (DOMAIN §4). Plain Python: no I/O.

A caller without the right (privilege, institution) always gets the same message, so it
learns nothing about the patron (not even whether it exists or is a linked user). A caller
with the right who asks about a linked user while its institution's
``cross_consortia_identifiers`` is off is told that setting is the reason: it says nothing
about the patron the caller's own institution does not already hold.
"""

from __future__ import annotations

from network_common.errors import Forbidden
from network_common.tokens import Principal
from network_common.vocabulary import NETWORK_ACTIVITY_ROLES, PrincipalKind

REFUSAL = (
    "Network Activity is available only to staff of the patron's home institution "
    "who hold the consortial services privilege in a circulation desk or user management role"
)


LINKED_USER_REFUSAL = (
    "Your institution does not share cross-consortia identifiers "
    "(cross_consortia_identifiers is off), so Network Activity is available only for its "
    "own patrons, not for linked accounts of other institutions' patrons"
)


def has_consortial_services(principal: Principal) -> bool:
    """The privilege counts only when granted within one of the listed roles."""
    return any(g.consortial_services and g.role in NETWORK_ACTIVITY_ROLES for g in principal.roles)


def check_operator(principal: Principal, *, patron_institution: str | None) -> str:
    """Refuse anyone but a privileged operator of the patron's institution; returns that code."""
    if principal.kind != PrincipalKind.STAFF or not has_consortial_services(principal):
        raise Forbidden(REFUSAL)
    if patron_institution is not None and patron_institution != principal.institution:
        raise Forbidden(REFUSAL)
    return principal.institution


def check_linked_user(*, cross_consortia_identifiers: bool) -> None:
    """A patron who is itself a linked user needs the caller institution's setting on."""
    if not cross_consortia_identifiers:
        raise Forbidden(LINKED_USER_REFUSAL)
