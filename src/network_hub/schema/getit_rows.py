"""Get It's records projected onto the selection without graphql-core completing each field.

A Get It answer is a tree of plain dicts (records → sections → holdings → items → terms →
fees), keyed by the GraphQL field names (``getit/shaping.py``). graphql-core completes every
object and leaf of it through its generic machinery (resolve info, resolver call, completion):
for a BRIEF page of 50 records across 20 members that is a thousand sections, for a FULL view
most of the hub's CPU. The selection of a ``[GetItRecord!]`` list is compiled once into a plan
(graphql-core's own field collection: aliases, fragments, ``@skip``/``@include``,
``__typename``), then the dicts are walked along it.

Only fields read straight from the dict (no resolver, no permission or field extension) are
planned. Anything unusual (a null in a non-null field, a value that is not a dict or list
where one is expected, a leaf the scalar refuses, ``@defer``/``@stream``) gives up on the
whole list, which then takes the generic path and is answered (errors included) exactly as
before.
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
    is_list_type,
    is_non_null_type,
)
from graphql.error import GraphQLError
from graphql.pyutils import Path

from .fast_rows import FastRowsExecutionContext

#: List item types whose values are Get It dict trees (see the module docstring).
TREE_ROOT_TYPES = frozenset({"GetItRecord"})

_BACKREF = "strawberry-definition"
_INT_MIN, _INT_MAX = -(2**31), 2**31 - 1

# Step kinds: how one response key is filled from the row.
_TYPENAME, _STR, _BOOL, _INT, _ENUM, _LEAF, _OBJECT, _LIST = range(8)

#: (kind, response key, dict key, non-null, extra). extra: the type name (__typename), the
#: scalar's serialiser (leaves), (serialiser, memo) for enums, the sub-plan (objects), or
#: (items non-null, sub-plan) for lists of objects.
Step = tuple[int, str, str, bool, Any]
Plan = tuple[Step, ...]


class _GiveUp(Exception):
    """The tree needs the generic path (which reports whatever is wrong as usual)."""


class GetItRowsExecutionContext(FastRowsExecutionContext):
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
            and named.name in TREE_ROOT_TYPES
            and is_non_null_type(item_type)
            and type(result) is list
        ):
            plan = self.tree_plan(named, field_details_list)
            rows = None if plan is None else project_rows(result, plan)
            if rows is not None:
                return rows
        return super().complete_list_value(
            return_type, field_details_list, info, path, result, position_context
        )

    def tree_plan(self, object_type: GraphQLObjectType, field_details_list: Any) -> Plan | None:
        """The selection on ``object_type`` as a plan; None: not one this module walks."""
        if object_type.is_type_of is not None:
            return None
        grouped, defer_usages, forbidden = self.collect_subfields(object_type, field_details_list)
        if defer_usages or forbidden:
            return None
        steps: list[Step] = []
        for response_key, details in grouped.items():
            if any(_streams_or_defers(d.node) for d in details):
                return None
            name = details[0].node.name.value
            if name == "__typename":
                steps.append((_TYPENAME, response_key, name, True, object_type.name))
                continue
            field = object_type.fields.get(name)
            if field is None or not _reads_the_dict(field.extensions.get(_BACKREF), name):
                return None
            step = self._step(response_key, name, field.type, details)
            if step is None:
                return None
            steps.append(step)
        return tuple(steps)

    def _step(self, response_key: str, name: str, field_type: Any, details: Any) -> Step | None:
        non_null = is_non_null_type(field_type)
        inner = get_nullable_type(field_type)
        if isinstance(inner, GraphQLScalarType | GraphQLEnumType):
            return _leaf_step(inner, response_key, name, non_null)
        if isinstance(inner, GraphQLObjectType):
            sub = self.tree_plan(inner, details)
            return None if sub is None else (_OBJECT, response_key, name, non_null, sub)
        if is_list_type(inner):
            item = inner.of_type
            item_object = get_nullable_type(item)
            if not isinstance(item_object, GraphQLObjectType):
                return None  # lists of leaves or of lists: none in Get It
            sub = self.tree_plan(item_object, details)
            if sub is None:
                return None
            return (_LIST, response_key, name, non_null, (is_non_null_type(item), sub))
        return None  # interfaces and unions: none in Get It


def _streams_or_defers(node: Any) -> bool:
    return any(d.name.value in ("stream", "defer") for d in node.directives or ())


def _reads_the_dict(definition: Any, name: str) -> bool:
    """The field is read from the dict under its GraphQL name, with nothing in between."""
    if definition is None:
        return False
    return (
        definition.base_resolver is None
        and not definition.permission_classes
        and not definition.extensions
        and definition.python_name == name
    )


def _leaf_step(
    leaf: GraphQLScalarType | GraphQLEnumType, response_key: str, name: str, non_null: bool
) -> Step:
    serialize: Callable[[Any], Any] = leaf.serialize
    if isinstance(leaf, GraphQLEnumType):
        # Serialised once per distinct value and request (Get It has a handful per enum).
        return (_ENUM, response_key, name, non_null, (serialize, {}))
    kind = {"String": _STR, "ID": _STR, "Boolean": _BOOL, "Int": _INT}.get(leaf.name, _LEAF)
    return (kind, response_key, name, non_null, serialize)


def project_rows(rows: list[Any], plan: Plan) -> list[dict[str, Any]] | None:
    """The rows as the plan asks; None when one of them needs the generic path."""
    try:
        return [project_object(row, plan) for row in rows]
    except _GiveUp:
        return None


def project_object(row: Any, plan: Plan) -> dict[str, Any]:
    """One dict as the plan asks (raises _GiveUp when it needs the generic path)."""
    if type(row) is not dict:
        raise _GiveUp
    out: dict[str, Any] = {}
    for kind, response_key, key, non_null, extra in plan:
        if kind == _TYPENAME:
            out[response_key] = extra
            continue
        value = row.get(key)
        if value is None:
            if non_null:
                raise _GiveUp
            out[response_key] = None
        elif kind == _STR:
            out[response_key] = value if type(value) is str else _serialize(extra, value)
        elif kind == _BOOL:
            out[response_key] = value if type(value) is bool else _serialize(extra, value)
        elif kind == _INT:
            if type(value) is int and _INT_MIN <= value <= _INT_MAX:
                out[response_key] = value
            else:
                out[response_key] = _serialize(extra, value)
        elif kind == _ENUM:
            out[response_key] = _enum(extra, value)
        elif kind == _OBJECT:
            out[response_key] = project_object(value, extra)
        elif kind == _LIST:
            if type(value) is not list:
                raise _GiveUp
            items_non_null, sub = extra
            out[response_key] = [
                None if item is None and not items_non_null else project_object(item, sub)
                for item in value
            ]
        else:
            out[response_key] = _serialize(extra, value)
    return out


def _serialize(serialize: Callable[[Any], Any], value: Any) -> Any:
    try:
        result = serialize(value)
    except (GraphQLError, TypeError, ValueError) as exc:
        raise _GiveUp from exc
    if result is None:
        raise _GiveUp  # graphql-core reports a leaf serialised to nothing as an error
    return result


def _enum(extra: tuple[Callable[[Any], Any], dict[tuple[type, Any], Any]], value: Any) -> Any:
    serialize, memo = extra
    key = (type(value), value)
    try:
        return memo[key]
    except KeyError:
        pass
    except TypeError as exc:  # unhashable: not an enum value in any case
        raise _GiveUp from exc
    result = memo[key] = _serialize(serialize, value)
    return result
