"""The vocabulary that crosses the wire: settings values, roles, statuses (DOMAIN §2-§7).

Every closed set here is a Python enum on both sides and a GraphQL enum in the committed SDL
of each schema that carries it (registered once in :mod:`network_common.graphql_vocabulary`).
Sets only the node uses (user kinds, fee statuses) live in ``institution_node.domain``.
"""

from __future__ import annotations

from enum import StrEnum


class RemoteRegister(StrEnum):
    """``uresolver_remote_register``: how this member's Get It treats other members' patrons."""

    NONE = "NONE"
    MANUAL = "MANUAL"
    AUTO = "AUTO"


class IndependenceModel(StrEnum):
    """``fulfillment_independence_model``."""

    NONE = "NONE"
    FULL = "FULL"
    PARTIAL = "PARTIAL"


class AvailabilityDisplay(StrEnum):
    """``network_availability_display``: how this member's patrons see other members."""

    AVAILABILITY_ONLY = "AVAILABILITY_ONLY"
    HOLDINGS = "HOLDINGS"


class LinkOrigin(StrEnum):
    """How a linked account came to exist (DOMAIN §3)."""

    REGISTER = "REGISTER"
    AUTO = "AUTO"
    WALK_IN = "WALK_IN"
    REQUEST = "REQUEST"


class StaffRoleType(StrEnum):
    CIRCULATION_DESK_MANAGER = "CIRCULATION_DESK_MANAGER"
    CIRCULATION_DESK_OPERATOR = "CIRCULATION_DESK_OPERATOR"
    CIRCULATION_DESK_OPERATOR_LIMITED = "CIRCULATION_DESK_OPERATOR_LIMITED"
    USER_MANAGER = "USER_MANAGER"
    USER_ADMINISTRATOR = "USER_ADMINISTRATOR"
    REQUESTS_OPERATOR = "REQUESTS_OPERATOR"
    FULFILLMENT_ADMINISTRATOR = "FULFILLMENT_ADMINISTRATOR"
    # Resource sharing (DOMAIN §8), in the scope of a resource sharing library.
    FULFILLMENT_SERVICES_OPERATOR = "FULFILLMENT_SERVICES_OPERATOR"
    FULFILLMENT_SERVICES_MANAGER = "FULFILLMENT_SERVICES_MANAGER"


# Roles that may act at a circulation desk (loan, return, fees, registration).
DESK_ROLES = frozenset(
    {
        StaffRoleType.CIRCULATION_DESK_MANAGER,
        StaffRoleType.CIRCULATION_DESK_OPERATOR,
        StaffRoleType.CIRCULATION_DESK_OPERATOR_LIMITED,
    }
)
# Roles that may manage user records (blocks, notes, statistics, patron roles).
USER_ROLES = frozenset(
    {
        StaffRoleType.USER_MANAGER,
        StaffRoleType.USER_ADMINISTRATOR,
        StaffRoleType.CIRCULATION_DESK_MANAGER,
        StaffRoleType.CIRCULATION_DESK_OPERATOR,
    }
)
# DOMAIN §4: the consortial services privilege counts only within these roles.
NETWORK_ACTIVITY_ROLES = frozenset(
    {
        StaffRoleType.CIRCULATION_DESK_MANAGER,
        StaffRoleType.CIRCULATION_DESK_OPERATOR,
        StaffRoleType.CIRCULATION_DESK_OPERATOR_LIMITED,
        StaffRoleType.USER_MANAGER,
        StaffRoleType.USER_ADMINISTRATOR,
    }
)
# Roles that work borrowing and lending requests (seed 003: Fulfillment Services Operator /
# Manager in the scope of a resource sharing library).
RESOURCE_SHARING_ROLES = frozenset(
    {StaffRoleType.FULFILLMENT_SERVICES_OPERATOR, StaffRoleType.FULFILLMENT_SERVICES_MANAGER}
)
REQUEST_ROLES = frozenset(
    {
        StaffRoleType.REQUESTS_OPERATOR,
        StaffRoleType.CIRCULATION_DESK_MANAGER,
        StaffRoleType.CIRCULATION_DESK_OPERATOR,
    }
)


class ItemStatus(StrEnum):
    ON_SHELF = "ON_SHELF"
    ON_LOAN = "ON_LOAN"
    IN_TRANSIT = "IN_TRANSIT"
    ON_HOLD_SHELF = "ON_HOLD_SHELF"
    LOST = "LOST"


class LoanStatus(StrEnum):
    ACTIVE = "ACTIVE"
    RETURNED = "RETURNED"
    LOST = "LOST"


class FeeType(StrEnum):
    OVERDUE = "OVERDUE"
    LOST_ITEM = "LOST_ITEM"
    LOST_ITEM_PROCESSING = "LOST_ITEM_PROCESSING"
    REGISTRATION = "REGISTRATION"
    DAMAGED_ITEM = "DAMAGED_ITEM"
    OTHER = "OTHER"


class NextStep(StrEnum):
    """What a returned/scanned item should do next."""

    RESHELVE = "RESHELVE"
    TRANSIT = "TRANSIT"
    HOLD_SHELF = "HOLD_SHELF"


class LinkChangeKind(StrEnum):
    """An entry of a node's linked-account change feed (docs/NETWORK.md)."""

    LINKED = "LINKED"  # a linked account appeared (created, or its link given back)
    UNLINKED = "UNLINKED"  # it went away (deleted, or its link cut)


class RequestStatus(StrEnum):
    """Where a request is in its life (``institution_node.domain.requests`` has the table)."""

    PLACED = "PLACED"  # waiting in the queue; no item chosen yet (or the item is busy)
    PICK_FROM_SHELF = "PICK_FROM_SHELF"  # an item is chosen; on the owner's pick list
    IN_TRANSIT = "IN_TRANSIT"  # travelling to the pickup library (or home, non-patron)
    ON_HOLD_SHELF = "ON_HOLD_SHELF"  # waiting at the pickup desk; patron notified
    IN_PROCESS = "IN_PROCESS"  # a work order is being done
    COMPLETED = "COMPLETED"
    CANCELLED = "CANCELLED"


class FeeTermKind(StrEnum):
    """A charge named in the detailed terms of use (Get It, DOMAIN §5)."""

    LOAN_FEE = "LOAN_FEE"
    OVERDUE_FINE_PER_DAY = "OVERDUE_FINE_PER_DAY"


class PrincipalKind(StrEnum):
    """Who a verified token speaks for (its ``typ`` claim)."""

    STAFF = "staff"
    PATRON = "patron"
    DISCOVERY = "discovery"
    SERVICE = "service"  # the hub calling a node's network API


class BorrowingStatus(StrEnum):
    """Where a borrowing request is (the state table is ``institution_node.domain.borrowing``)."""

    READY_TO_SEND = "READY_TO_SEND"
    REQUEST_SENT = "REQUEST_SENT"
    WILL_SUPPLY = "WILL_SUPPLY"
    CONDITIONAL = "CONDITIONAL"  # the partner set conditions: accept or decline
    CANCEL_REQUESTED = "CANCEL_REQUESTED"
    SHIPPED = "SHIPPED"
    RECEIVED = "RECEIVED"
    LOANED_TO_PATRON = "LOANED_TO_PATRON"
    RENEW_REQUESTED = "RENEW_REQUESTED"
    RENEWED_BY_PARTNER = "RENEWED_BY_PARTNER"
    RENEWAL_REJECTED = "RENEWAL_REJECTED"
    RETURNED_BY_PATRON = "RETURNED_BY_PATRON"
    RETURNED_TO_PARTNER = "RETURNED_TO_PARTNER"
    COMPLETED = "COMPLETED"
    CANCELLED = "CANCELLED"
    END_OF_ROTA = "END_OF_ROTA"
    REPORTED_LOST = "REPORTED_LOST"
    DECLARED_LOST_BY_PARTNER = "DECLARED_LOST_BY_PARTNER"


class BorrowingFormat(StrEnum):
    """What is asked for: a book (returnable) or an article (a copy)."""

    BOOK = "BOOK"
    ARTICLE = "ARTICLE"
