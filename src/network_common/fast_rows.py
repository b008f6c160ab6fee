"""A shortcut through graphql-core for answers made of plain objects and flat rows (issue 17),
for the hub's and the node's schemas alike.

graphql-core completes every leaf of every list item through its generic machinery (resolve
info, resolver call, completion), which dominates the time of an answer of many rows
(ARCHITECTURE.md: strawberry cost is per field). A schema names, on its subclass of
``FastRowsExecutionContext``:

- ``flat_row_types``: object types whose values are plain dicts keyed by the GraphQL field
  names, all of whose fields are scalars or enums. A list of them is projected onto the
  selection directly (``project``): the same selection semantics (aliases, fragments,
  ``@skip``/``@include``, ``__typename`` come from graphql-core's own field collection), the
  same scalar serialisation. Anything unusual (a null in a non-null field, ``@defer``, a
  non-dict item) falls back to the generic path, which then reports errors exactly as usual.
- ``plain_trees``: object types (the hub's Network Activity answer, a node's answer for one
  patron) whose whole selection is plain attributes (strawberry's "basic" fields: no
  resolver, no arguments, no field extensions) down to scalar and enum leaves. Such an
  object is completed by walking the selection over the value, each field read with the
  very resolver graphql-core would call, each leaf serialised by its own type; lists of flat
  rows inside it go through ``project``. graphql-core's per-field machinery (resolve info,
  awaitable checks, paths, the incremental executor's bookkeeping) was about a quarter of
  the hub's CPU per Network Activity query at N = 10, and ~0.36 ms of a node's answer for a
  typical patron (5 loans, 2 requests, 1 fee). Reading a plain attribute has no side
  effect, so whenever the walk meets something it does not handle, the generic path simply
  does the whole object again.

A walk's plan is kept across requests (``MAX_TREE_PLANS``) for a selection without any
directive: documents are kept parsed (``network_common/known_documents.py``), so the same
query brings the same field nodes, and without ``@skip``/``@include`` its collection does not
depend on the variables. Building the plan again for every query was about a tenth of the
hub's CPU per Network Activity query.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, ClassVar

from graphql import (
    GraphQLEnumType,
    GraphQLField,
    GraphQLList,
    GraphQLObjectType,
    GraphQLOutputType,
    GraphQLScalarType,
    get_nullable_type,
    is_non_null_type,
)
from graphql.error import GraphQLError
from graphql.pyutils import Path, Undefined
from strawberry.schema.schema import StrawberryGraphQLCoreExecutionContext

#: Walk plans kept (each with the field nodes it was made for: they stay alive, so no other
#: node can take their ids).
MAX_TREE_PLANS = 256
_NO_PLAN: Any = object()
_tree_plans: dict[tuple[int, ...], tuple[Any, tuple[Any, ...], Any]] = {}

# (response key, dict key or None for __typename, constant, non-null, serialize, whether a
# str value is its own serialisation: String and ID, the bulk of a row's leaves)
Step = tuple[str, str | None, str | None, bool, Callable[[Any], Any] | None, bool]
#: Scalars whose serialisation of a ``str`` is that same ``str`` (graphql-core's own).
_STR_AS_IS = frozenset({"String", "ID"})


_FALLBACK: Any = object()
#: How a tree step completes its value.
_LEAF, _LEAVES, _OBJECT, _OBJECTS, _ROWS, _TYPENAME = range(6)
# (response key, how, resolve, non-null, item non-null, serialize, str as is, sub-plan)
TreeStep = tuple[str, int, Any, bool, bool, Any, bool, Any]


class FastRowsExecutionContext(StrawberryGraphQLCoreExecutionContext):
    """graphql-core's execution, with the shortcuts above for the types a subclass names."""

    #: Object types whose values are flat dicts keyed by GraphQL field name (leaves only).
    flat_row_types: ClassVar[frozenset[str]] = frozenset()
    #: Object types completed by walking their selection when it is all plain attributes.
    plain_trees: ClassVar[frozenset[str]] = frozenset()

    def complete_object_value(
        self,
        return_type: GraphQLObjectType,
        field_details_list: Any,
        info: Any,
        path: Path,
        result: Any,
        position_context: Any,
    ) -> Any:
        if return_type.name in self.plain_trees and result is not None:
            plan = self._kept_tree_plan(return_type, field_details_list)
            if plan is not None:
                try:
                    value = walk(plan, result)
                except Exception:  # the generic path reports it as usual
                    value = _FALLBACK
                if value is not _FALLBACK:
                    return value
        return super().complete_object_value(
            return_type, field_details_list, info, path, result, position_context
        )

    def _kept_tree_plan(self, object_type: GraphQLObjectType, field_details_list: Any) -> Any:
        """``_tree_plan``, made once per selection that has no directives (see above)."""
        nodes = tuple(details.node for details in field_details_list)
        key = (id(object_type), *map(id, nodes))
        kept = _tree_plans.get(key)
        if (
            kept is not None
            and kept[0] is object_type
            and all(a is b for a, b in zip(kept[1], nodes, strict=True))
        ):
            return None if kept[2] is _NO_PLAN else kept[2]
        plan = self._tree_plan(object_type, field_details_list)
        if all(_without_directives(node, self.fragments) for node in nodes):
            if len(_tree_plans) >= MAX_TREE_PLANS:
                _tree_plans.clear()  # a cache, never a store: rebuilt as queries come
            _tree_plans[key] = (object_type, nodes, _NO_PLAN if plan is None else plan)
        return plan

    def _tree_plan(self, object_type: GraphQLObjectType, field_details_list: Any) -> Any:
        """The walk of ``object_type``'s selection; None unless it is all plain attributes."""
        if object_type.is_type_of is not None:
            return None
        grouped = self.plain_subfields(object_type, field_details_list)
        if grouped is None:
            return None
        steps: list[TreeStep] = []
        for response_key, details in grouped.items():
            name = details[0].node.name.value
            if name == "__typename":
                steps.append(
                    (response_key, _TYPENAME, object_type.name, True, True, None, False, None)
                )
                continue
            field = object_type.fields.get(name)
            if field is None or not _plain(field):
                return None
            non_null = is_non_null_type(field.type)
            of = get_nullable_type(field.type)
            how, item_non_null, sub = _LEAF, True, None
            if isinstance(of, GraphQLList):
                item_non_null = is_non_null_type(of.of_type)
                of = get_nullable_type(of.of_type)
                how = _LEAVES
            leaf = isinstance(of, GraphQLScalarType | GraphQLEnumType)
            if not leaf:
                if not isinstance(of, GraphQLObjectType):
                    return None  # interfaces and unions: the generic path
                if how == _LEAVES and of.name in self.flat_row_types and item_non_null:
                    how, sub = _ROWS, self._plan(of, details)
                else:
                    how = _OBJECTS if how == _LEAVES else _OBJECT
                    sub = self._tree_plan(of, details)
                if sub is None:
                    return None
            # What graphql-core's complete_leaf_value calls (``serialize`` is its old name).
            serialize = of.coerce_output_value if leaf else None  # type: ignore[union-attr]
            str_as_is = leaf and of.name in _STR_AS_IS  # type: ignore[union-attr]
            steps.append(
                (
                    response_key,
                    how,
                    field.resolve,
                    non_null,
                    item_non_null,
                    serialize,
                    str_as_is,
                    sub,
                )
            )
        return steps

    def complete_list_value(
        self,
        return_type: GraphQLList[GraphQLOutputType],
        field_details_list: Any,
        info: Any,
        path: Path,
        result: Any,
        position_context: Any,
    ) -> Any:
        named = list_of(return_type, result, self.flat_row_types)
        if named is not None:
            plan = self._plan(named, field_details_list)
            if plan is not None:
                rows = project(result, plan)
                if rows is not None:
                    return rows
        return super().complete_list_value(
            return_type, field_details_list, info, path, result, position_context
        )

    def plain_subfields(self, object_type: GraphQLObjectType, field_details_list: Any) -> Any:
        """The selection on ``object_type`` (graphql-core's own collection: aliases,
        fragments, ``@skip``/``@include``), or None when it defers anything."""
        grouped, defer_usages, forbidden = self.collect_subfields(object_type, field_details_list)
        return None if defer_usages or forbidden else grouped

    def _plan(self, row_type: GraphQLObjectType, field_details_list: Any) -> list[Step] | None:
        grouped = self.plain_subfields(row_type, field_details_list)
        if grouped is None:
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
                    leaf.coerce_output_value,
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
                    done = serialize(value)
                except (GraphQLError, TypeError, ValueError):
                    return None  # the generic path reports it as graphql-core does
                if done is None or done is Undefined:
                    return None  # graphql-core reports a leaf coerced to nothing
                item[response_key] = done
        out.append(item)
    return out


def list_of(
    return_type: GraphQLList[GraphQLOutputType], result: Any, names: frozenset[str]
) -> GraphQLObjectType | None:
    """The item type of a ``[T!]`` list whose value is a list, when T is one of ``names``."""
    item_type = return_type.of_type
    named = get_nullable_type(item_type)
    if (
        isinstance(named, GraphQLObjectType)
        and named.name in names
        and is_non_null_type(item_type)
        and type(result) is list
    ):
        return named
    return None


def _without_directives(
    node: Any, fragments: dict[str, Any], seen: frozenset[str] = frozenset()
) -> bool:
    """Whether no directive appears on ``node``'s selections, fragments (graphql-core's
    ``FragmentDetails`` by name) followed; a fragment spread inside itself is invalid GraphQL
    and stops the search."""
    selection_set = getattr(node, "selection_set", None)
    if selection_set is None:
        return True
    for selection in selection_set.selections:
        if selection.directives:
            return False
        if selection.kind == "fragment_spread":
            name = selection.name.value
            details = fragments.get(name)
            if details is None or name in seen or getattr(selection, "arguments", None):
                return False  # fragment arguments (experimental) are variables too
            fragment = details.definition
            if fragment.directives or not _without_directives(fragment, fragments, seen | {name}):
                return False
        elif not _without_directives(selection, fragments, seen):
            return False
    return True


def _plain(field: GraphQLField) -> bool:
    """A field whose value is the source's attribute: strawberry's basic-field resolver."""
    return not field.args and getattr(field.resolve, "_is_default", False) is True


def _leaf(value: Any, serialize: Any, str_as_is: bool) -> Any:
    if str_as_is and type(value) is str:
        return value
    done = serialize(value)
    if done is None or done is Undefined:
        raise TypeError("a leaf coerced to nothing")  # the walk's caller falls back
    return done


def walk(plan: list[TreeStep], source: Any) -> Any:
    """``source`` completed by ``plan``; ``_FALLBACK`` when it needs the generic path."""
    out: dict[str, Any] = {}
    for key, how, resolve, non_null, item_non_null, serialize, str_as_is, sub in plan:
        if how == _TYPENAME:
            out[key] = resolve
            continue
        value = resolve(source, None)
        if value is None:
            if non_null:
                return _FALLBACK
            out[key] = None
        elif how == _LEAF:
            out[key] = _leaf(value, serialize, str_as_is)
        elif how == _OBJECT:
            done = walk(sub, value)
            if done is _FALLBACK:
                return _FALLBACK
            out[key] = done
        elif type(value) is not list:
            return _FALLBACK  # other iterables: as graphql-core reads them
        elif how == _ROWS:
            rows = project(value, sub)
            if rows is None:
                return _FALLBACK
            out[key] = rows
        else:
            items: list[Any] = []
            for item in value:
                if item is None:
                    if item_non_null:
                        return _FALLBACK
                    items.append(None)
                elif how == _LEAVES:
                    items.append(_leaf(item, serialize, str_as_is))
                else:
                    done = walk(sub, item)
                    if done is _FALLBACK:
                        return _FALLBACK
                    items.append(done)
            out[key] = items
    return out
