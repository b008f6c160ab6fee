"""Closed sets only the staff API carries, as GraphQL enums (the shared ones are registered
in ``network_common.graphql_vocabulary``)."""

from __future__ import annotations

import strawberry

from ...domain.requests import RequestKind, RequestLevel
from ...domain.vocabulary import FeeStatus, FeeTransactionKind, RegistrationRoleScope, UserKind

strawberry.enum(UserKind, description="A patron or a staff member.")
strawberry.enum(FeeStatus, description="OPEN while a balance remains.")
strawberry.enum(FeeTransactionKind, description="A payment or a waiver.")
strawberry.enum(RequestKind, description="A patron's request, a transit home or a work order.")
strawberry.enum(RequestLevel, description="Title level (any copy) or item level.")
strawberry.enum(
    RegistrationRoleScope,
    description="A patron registered at a desk gets a role scoped to the desk's library "
    "(LIBRARY) or institution-wide (INSTITUTION).",
)

__all__ = [
    "FeeStatus",
    "FeeTransactionKind",
    "RegistrationRoleScope",
    "RequestKind",
    "RequestLevel",
    "UserKind",
]
