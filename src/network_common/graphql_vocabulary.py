"""The wire vocabulary as GraphQL enums, registered once for every schema that carries it.

GraphQL types import the enums from here (not from :mod:`network_common.vocabulary`), so a
schema never meets an unregistered enum; each enum has the same name, values and
description in the node's staff and network SDL and in the hub's SDL.
"""

from __future__ import annotations

import strawberry

from .vocabulary import (
    AvailabilityDisplay,
    BorrowingFormat,
    BorrowingStatus,
    FeeTermKind,
    FeeType,
    IndependenceModel,
    ItemStatus,
    LinkChangeKind,
    LinkOrigin,
    LoanStatus,
    NextStep,
    RemoteRegister,
    RequestStatus,
    StaffRoleType,
)

strawberry.enum(
    RemoteRegister,
    description="uresolver_remote_register: how a member's Get It treats other members' "
    "patrons (NONE: holdings only; MANUAL: a Register option; AUTO: linked on opening).",
)
strawberry.enum(
    IndependenceModel,
    description="fulfillment_independence_model: staff visibility between the libraries of "
    "one institution (NONE, FULL, PARTIAL).",
)
strawberry.enum(
    AvailabilityDisplay,
    description="network_availability_display: how a member's own patrons see other "
    "members (AVAILABILITY_ONLY: available or not; HOLDINGS: holdings and items).",
)
strawberry.enum(LinkOrigin, description="How a linked account came to be asked for.")
strawberry.enum(LinkChangeKind, description="What happened to a linked account.")
strawberry.enum(StaffRoleType, description="A staff role at a member.")
strawberry.enum(ItemStatus, description="Where an item is.")
strawberry.enum(LoanStatus, description="A loan's state.")
strawberry.enum(FeeType, description="What a fine or fee is for.")
strawberry.enum(NextStep, description="What to do with an item after a scan.")
strawberry.enum(RequestStatus, description="Where a request is in its life.")
strawberry.enum(FeeTermKind, description="A charge named in the terms of use.")
strawberry.enum(BorrowingStatus, description="Where a resource sharing borrowing request is.")
strawberry.enum(BorrowingFormat, description="A book (lent) or an article (a copy).")

__all__ = [
    "AvailabilityDisplay",
    "BorrowingFormat",
    "BorrowingStatus",
    "FeeTermKind",
    "FeeType",
    "IndependenceModel",
    "ItemStatus",
    "LinkChangeKind",
    "LinkOrigin",
    "LoanStatus",
    "NextStep",
    "RemoteRegister",
    "RequestStatus",
    "StaffRoleType",
]
