"""The network schema: Query and Mutation merged from one module per capability.

Another capability (e.g. Get It availability) adds its query/mutation class to the tuples
below; every root field must start with ``info.context.hub()``.
"""

from __future__ import annotations

from typing import ClassVar

import strawberry
from strawberry.tools import merge_types

from network_common.fast_rows import FastRowsExecutionContext
from network_common.graphql_errors import GraphQLLimits, QuietSchema, standard_extensions

from . import activity as activity_api
from . import availability as availability_api
from . import fulfilment as fulfilment_api
from . import linked as linked_api
from . import member as member_api
from . import patrons as patrons_api
from . import resource_sharing as resource_sharing_api

QUERIES: tuple[type, ...] = (
    member_api.MemberQuery,
    availability_api.AvailabilityQuery,
    patrons_api.PatronsQuery,
    linked_api.LinkedAccountsQuery,
    activity_api.ActivityQuery,
    fulfilment_api.FulfilmentQuery,
    resource_sharing_api.ResourceSharingQuery,
)
MUTATIONS: tuple[type, ...] = (
    linked_api.LinkedAccountsMutation,
    fulfilment_api.FulfilmentMutation,
    resource_sharing_api.ResourceSharingMutation,
)

Query = merge_types("Query", QUERIES)
Mutation = merge_types("Mutation", MUTATIONS) if MUTATIONS else None


class NetworkExecutionContext(FastRowsExecutionContext):
    """A patron's answer to the hub's ``networkActivity`` (its loans, requests and fees) is
    walked, not completed field by field (``network_common/fast_rows.py``): ~0.36 ms of the
    node's CPU for a typical patron. A test keeps every field under it plain."""

    plain_trees: ClassVar[frozenset[str]] = frozenset({"PatronActivity"})


def build_schema(
    *, introspection: bool = True, limits: GraphQLLimits | None = None
) -> strawberry.Schema:
    # The same limits as the staff API: the hub's documents are fixed texts that carry
    # their batches (up to 500 patrons or records) in variables, not in the document.
    return QuietSchema(
        query=Query,
        mutation=Mutation,
        execution_context_class=NetworkExecutionContext,
        extensions=standard_extensions(introspection=introspection, limits=limits),
        hide_suggestions=not introspection,
    )
