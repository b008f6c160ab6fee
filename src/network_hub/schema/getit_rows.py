"""Get It's records projected onto the selection without graphql-core completing each field.

A Get It answer is a tree of plain dicts (records → sections → holdings → items → terms →
fees), keyed by the GraphQL field names (``getit/shaping.py``). graphql-core completes every
object and leaf of it through its generic machinery (resolve info, resolver call, completion):
for a BRIEF page of 50 records across 20 members that is a thousand sections, for a FULL view
most of the hub's CPU. The selection of a ``[GetItRecord!]`` list is collected into a spec
(graphql-core's own field collection: aliases, fragments, ``@skip``/``@include``,
``__typename``), each object type's part of it compiled into one small Python function (kept
per distinct spec), and the dicts are projected by those.

Only fields read straight from the dict (no resolver, no permission or field extension) are
projected. Anything unusual (a null in a non-null field, a value that is not a dict or list
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
from graphql.pyutils import Path, Undefined

from network_common.fast_rows import list_of

from .fast_rows import HubRowsExecutionContext

#: List item types whose values are Get It dict trees (see the module docstring).
TREE_ROOT_TYPES = frozenset({"GetItRecord"})

_BACKREF = "strawberry-definition"
#: Compiled projectors kept (selections differ by document; a bound, not a store).
MAX_PROJECTORS = 256

# Step kinds: how one response key is filled from the row.
_TYPENAME, _STR, _BOOL, _INT, _ENUM, _LEAF, _OBJECT, _LIST = range(8)

#: (kind, response key, dict key, non-null, extra). extra: the type name (__typename), the
#: leaf's GraphQL type (scalars and enums), the sub-spec (objects), or (items non-null,
#: sub-spec) for lists of objects. Hashable: the compiled projector is cached by it.
Step = tuple[int, str, str, bool, Any]
Spec = tuple[str, tuple[Step, ...]]
Projector = Callable[[Any], dict[str, Any]]

_projectors: dict[Spec, Projector] = {}


class _GiveUp(Exception):
    """The tree needs the generic path (which reports whatever is wrong as usual)."""


class GetItRowsExecutionContext(HubRowsExecutionContext):
    def complete_list_value(
        self,
        return_type: GraphQLList[GraphQLOutputType],
        field_details_list: Any,
        info: Any,
        path: Path,
        result: Any,
        position_context: Any,
    ) -> Any:
        named = list_of(return_type, result, TREE_ROOT_TYPES)
        if named is not None:
            spec = self.tree_spec(named, field_details_list)
            rows = None if spec is None else project_rows(result, projector(spec))
            if rows is not None:
                return rows
        return super().complete_list_value(
            return_type, field_details_list, info, path, result, position_context
        )

    def tree_spec(self, object_type: GraphQLObjectType, field_details_list: Any) -> Spec | None:
        """The selection on ``object_type`` as a spec; None: not one this module walks."""
        if object_type.is_type_of is not None:
            return None
        grouped = self.plain_subfields(object_type, field_details_list)
        if grouped is None:
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
        return (object_type.name, tuple(steps))

    def _step(self, response_key: str, name: str, field_type: Any, details: Any) -> Step | None:
        non_null = is_non_null_type(field_type)
        inner = get_nullable_type(field_type)
        if isinstance(inner, GraphQLEnumType):
            return (_ENUM, response_key, name, non_null, inner)
        if isinstance(inner, GraphQLScalarType):
            kind = _SCALAR_KINDS.get(inner.name, _LEAF)
            return (kind, response_key, name, non_null, inner)
        if isinstance(inner, GraphQLObjectType):
            sub = self.tree_spec(inner, details)
            return None if sub is None else (_OBJECT, response_key, name, non_null, sub)
        if is_list_type(inner):
            item = inner.of_type
            item_object = get_nullable_type(item)
            if not isinstance(item_object, GraphQLObjectType):
                return None  # lists of leaves or of lists: none in Get It
            sub = self.tree_spec(item_object, details)
            if sub is None:
                return None
            return (_LIST, response_key, name, non_null, (is_non_null_type(item), sub))
        return None  # interfaces and unions: none in Get It


#: Scalars whose serialisation of a value of one Python type is that value itself
#: (graphql-core's own: a str for String and ID, a bool for Boolean, a 32-bit int for Int).
_SCALAR_KINDS = {"String": _STR, "ID": _STR, "Boolean": _BOOL, "Int": _INT}
#: The test that sends a value of each kind down the leaf's own serialiser.
_NEEDS_SERIALIZE = {
    _STR: "type({v}) is not str",
    _BOOL: "type({v}) is not bool",
    _INT: "type({v}) is not int or not -2147483648 <= {v} <= 2147483647",
    _LEAF: "True",
}


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


def project_rows(rows: list[Any], project: Projector) -> list[dict[str, Any]] | None:
    """The rows as the selection asks; None when one of them needs the generic path."""
    try:
        return [project(row) for row in rows]
    except _GiveUp:
        return None


def projector(spec: Spec) -> Projector:
    """The function projecting one dict onto ``spec``, compiled once per distinct spec."""
    found = _projectors.get(spec)
    if found is None:
        if len(_projectors) >= MAX_PROJECTORS:
            _projectors.clear()
        found = _projectors[spec] = _compile(spec)
    return found


def _compile(spec: Spec) -> Projector:
    """Python source for one object type's selection: a dict display of the row's values,
    each checked (and serialised when it is not already its own serialisation) as
    graphql-core's completion would; a walk over the steps per row cost three times more."""
    type_name, steps = spec
    env: dict[str, Any] = {"GiveUp": _GiveUp}
    body = ["    if type(row) is not dict:", "        raise GiveUp"]
    items: list[str] = []
    for i, (kind, response_key, key, non_null, extra) in enumerate(steps):
        if kind == _TYPENAME:
            items.append(f"{response_key!r}: {extra!r}")
            continue
        v = f"v{i}"
        items.append(f"{response_key!r}: {v}")
        body.append(f"    {v} = row.get({key!r})")
        if kind == _ENUM:
            # Serialised once per distinct value (Get It's enums have a handful each).
            memo: dict[tuple[type, Any], Any] = {}
            env[f"memo{i}"], env[f"slow{i}"] = memo, _slow_enum(extra.serialize, memo, non_null)
            body += [
                "    try:",
                f"        {v} = memo{i}[type({v}), {v}]",
                "    except (KeyError, TypeError):",
                f"        {v} = slow{i}({v})",
            ]
        elif kind == _OBJECT:
            env[f"sub{i}"] = projector(extra)
            body += [f"    if {v} is not None:", f"        {v} = sub{i}({v})"]
            if non_null:
                body += ["    else:", "        raise GiveUp"]
        elif kind == _LIST:
            items_non_null, sub = extra
            env[f"sub{i}"] = projector(sub)
            each = f"sub{i}(x)" if items_non_null else f"None if x is None else sub{i}(x)"
            body += [f"    if type({v}) is list:", f"        {v} = [{each} for x in {v}]"]
            body += (
                ["    else:", "        raise GiveUp"]
                if non_null
                else [
                    f"    elif {v} is not None:",
                    "        raise GiveUp",
                ]
            )
        else:
            env[f"slow{i}"] = _slow_leaf(extra.serialize, non_null)
            body += [f"    if {_NEEDS_SERIALIZE[kind].format(v=v)}:", f"        {v} = slow{i}({v})"]
    body.append("    return {" + ", ".join(items) + "}")
    source = "def project(row):\n" + "\n".join(body) + "\n"
    exec(compile(source, f"<getit_rows {type_name}>", "exec"), env)
    project: Projector = env["project"]
    return project


def _slow_leaf(serialize: Callable[[Any], Any], non_null: bool) -> Callable[[Any], Any]:
    def slow(value: Any) -> Any:
        if value is None:
            if non_null:
                raise _GiveUp
            return None
        return _serialize(serialize, value)

    return slow


def _slow_enum(
    serialize: Callable[[Any], Any], memo: dict[tuple[type, Any], Any], non_null: bool
) -> Callable[[Any], Any]:
    def slow(value: Any) -> Any:
        if value is None:
            if non_null:
                raise _GiveUp
            return None
        result = _serialize(serialize, value)
        try:
            memo[type(value), value] = result
        except TypeError as exc:  # unhashable: not an enum value in any case
            raise _GiveUp from exc
        return result

    return slow


def _serialize(serialize: Callable[[Any], Any], value: Any) -> Any:
    try:
        result = serialize(value)
    except (GraphQLError, TypeError, ValueError) as exc:
        raise _GiveUp from exc
    if result is None or result is Undefined:
        raise _GiveUp  # graphql-core reports a leaf serialised to nothing as an error
    return result
