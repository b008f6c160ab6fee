"""The hub schema: Query and Mutation merged from one module per capability.

A capability (e.g. Get It) appends its query/mutation class to the tuples below.
"""

from __future__ import annotations

from typing import Any

import strawberry
from strawberry.schema.config import StrawberryConfig
from strawberry.tools import merge_types

from network_common.graphql_errors import GraphQLLimits, QuietSchema, standard_extensions

from ..fulfilment import schema as fulfilment_api
from ..resource_sharing import schema as resource_sharing_api
from . import account as account_api
from . import activity as activity_api
from . import getit as getit_api
from . import ledger as ledger_api
from . import members as members_api
from .getit_rows import GetItRowsExecutionContext

QUERIES: tuple[type, ...] = (
    members_api.MembersQuery,
    activity_api.ActivityQuery,
    getit_api.GetItQuery,
    fulfilment_api.FulfilmentQuery,
    account_api.AccountQuery,
    ledger_api.LedgerQuery,
    resource_sharing_api.ResourceSharingQuery,
)
MUTATIONS: tuple[type, ...] = (
    getit_api.GetItMutation,
    fulfilment_api.FulfilmentMutation,
    resource_sharing_api.ResourceSharingMutation,
)


def resolve_attribute(source: Any, name: str) -> Any:
    """Leaf fields read dicts (merged upstream rows, kept as the member sent them) or objects."""
    if type(source) is dict:
        return source.get(name)
    return getattr(source, name)


def build_schema(
    *, introspection: bool = True, limits: GraphQLLimits | None = None
) -> strawberry.Schema:
    query = merge_types("Query", QUERIES)
    mutation = merge_types("Mutation", MUTATIONS) if MUTATIONS else None
    return QuietSchema(
        query=query,
        mutation=mutation,
        config=StrawberryConfig(default_resolver=resolve_attribute),
        execution_context_class=GetItRowsExecutionContext,
        extensions=standard_extensions(introspection=introspection, limits=limits),
        hide_suggestions=not introspection,
    )
