"""A shortcut through graphql-core for large lists of flat, dict-backed rows.

graphql-core completes every leaf of every list item through its generic machinery (resolve
info, resolver call, completion), which dominates the hub's time for hundreds of merged rows
(ARCHITECTURE.md: strawberry cost is per field). Rows of the types in ``FLAT_ROW_TYPES`` are
plain dicts whose keys are the GraphQL field names and whose fields are all scalars or enums,
so they can be projected onto the selection directly: same selection semantics (aliases, fragments,
``@skip``/``@include``, ``__typename`` come from graphql-core's own field collection), same
scalar serialisation. Anything unusual (a null in a non-null field, ``@defer``, a non-dict
item) falls back to the generic path, which then reports errors exactly as usual.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from graphql import (
    GraphQLEnumType,
    GraphQLList,
    GraphQLObjectType,
    GraphQLOutputType,
    GraphQLScalarType,
    get_nullable_type,
    is_non_null_type,
)
from graphql.error import GraphQLError
from graphql.pyutils import Path
from strawberry.schema.schema import StrawberryGraphQLCoreExecutionContext

#: Object types whose values are flat dicts keyed by GraphQL field name (all leaves scalar).
FLAT_ROW_TYPES = frozenset(
    {
        "NetworkLoan",
        "NetworkRequest",
        "NetworkFee",
        # Get It (issue 5): projected when only their scalar fields are selected (a BRIEF
        # page's sections); a selection with holdings/terms takes the generic path.
        "GetItSection",
        "GetItItem",
        "GetItPickupPoint",
        "GetItFee",
    }
)

# (response key, dict key or None for __typename, constant, non-null, serialize, whether a
# str value is its own serialisation: String and ID, the bulk of a row's leaves)
Step = tuple[str, str | None, str | None, bool, Callable[[Any], Any] | None, bool]
#: Scalars whose serialisation of a ``str`` is that same ``str`` (graphql-core's own).
_STR_AS_IS = frozenset({"String", "ID"})


class FastRowsExecutionContext(StrawberryGraphQLCoreExecutionContext):
    def complete_list_value(
        self,
        return_type: GraphQLList[GraphQLOutputType],
        field_details_list: Any,
        info: Any,
        path: Path,
        result: Any,
        position_context: Any,
    ) -> Any:
        item_type = return_type.of_type
        named = get_nullable_type(item_type)
        if (
            isinstance(named, GraphQLObjectType)
            and named.name in FLAT_ROW_TYPES
            and is_non_null_type(item_type)
            and type(result) is list
        ):
            plan = self._plan(named, field_details_list)
            if plan is not None:
                rows = project(result, plan)
                if rows is not None:
                    return rows
        return super().complete_list_value(
            return_type, field_details_list, info, path, result, position_context
        )

    def _plan(self, row_type: GraphQLObjectType, field_details_list: Any) -> list[Step] | None:
        grouped, defer_usages, _ = self.collect_subfields(row_type, field_details_list)
        if defer_usages:
            return None
        steps: list[Step] = []
        for response_key, details in grouped.items():
            name = details[0].node.name.value
            if name == "__typename":
                steps.append((response_key, None, row_type.name, True, None, False))
                continue
            field = row_type.fields.get(name)
            if field is None:
                return None
            leaf = get_nullable_type(field.type)
            if not isinstance(leaf, GraphQLScalarType | GraphQLEnumType):
                return None
            steps.append(
                (
                    response_key,
                    name,
                    None,
                    is_non_null_type(field.type),
                    leaf.serialize,
                    leaf.name in _STR_AS_IS,
                )
            )
        return steps


def project(rows: list[Any], plan: list[Step]) -> list[dict[str, Any]] | None:
    """The rows as the selection asks; None when one needs the generic path."""
    out: list[dict[str, Any]] = []
    for row in rows:
        if type(row) is not dict:
            return None
        item: dict[str, Any] = {}
        for response_key, key, constant, non_null, serialize, str_as_is in plan:
            if key is None:
                item[response_key] = constant
                continue
            value = row.get(key)
            if str_as_is and type(value) is str:
                item[response_key] = value
            elif value is None:
                if non_null:
                    return None
                item[response_key] = None
            elif serialize is None:
                item[response_key] = value
            else:
                try:
                    item[response_key] = serialize(value)
                except (GraphQLError, TypeError, ValueError):
                    return None  # the generic path reports it as graphql-core does
        out.append(item)
    return out
