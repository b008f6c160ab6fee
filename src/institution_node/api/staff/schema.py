"""The staff schema: Query and Mutation merged from one module per capability."""

from __future__ import annotations

import strawberry
from strawberry.tools import merge_types

from network_common.graphql_errors import GraphQLLimits, QuietSchema, standard_extensions

from . import circulation as circulation_api
from . import fees as fees_api
from . import fulfilment as fulfilment_api
from . import institution as institution_api
from . import letters as letters_api
from . import linked as linked_api
from . import records as records_api
from . import requests as requests_api
from . import rs_borrowing as rs_borrowing_api
from . import rs_lending as rs_lending_api
from . import rs_partners as rs_partners_api
from . import users as users_api

QUERIES: tuple[type, ...] = (
    institution_api.InstitutionQuery,
    requests_api.RequestQuery,
    users_api.UserQuery,
    circulation_api.CirculationQuery,
    fulfilment_api.FulfilmentQuery,
    letters_api.LetterQuery,
    rs_partners_api.PartnerQuery,
    rs_borrowing_api.BorrowingQuery,
    rs_lending_api.LendingQuery,
)
MUTATIONS: tuple[type, ...] = (
    institution_api.InstitutionMutation,
    requests_api.RequestMutation,
    linked_api.LinkedAccountMutation,
    circulation_api.CirculationMutation,
    fees_api.FeeMutation,
    records_api.RecordMutation,
    fulfilment_api.FulfilmentMutation,
    letters_api.LetterMutation,
    rs_partners_api.PartnerMutation,
    rs_borrowing_api.BorrowingMutation,
    rs_lending_api.LendingMutation,
)

Query = merge_types("Query", QUERIES)
Mutation = merge_types("Mutation", MUTATIONS)


def build_schema(
    *, introspection: bool = True, limits: GraphQLLimits | None = None
) -> strawberry.Schema:
    return QuietSchema(
        query=Query,
        mutation=Mutation,
        extensions=standard_extensions(introspection=introspection, limits=limits),
        hide_suggestions=not introspection,
    )
