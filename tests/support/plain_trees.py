"""What keeps ``network_common/fast_rows.py``'s walk applying to a schema's answer type."""

from __future__ import annotations

from typing import Any

from graphql import GraphQLObjectType, GraphQLSchema, get_named_type

from network_common import fast_rows


def plain_tree_types(schema: GraphQLSchema, root: str) -> set[str]:
    """The object types under ``root``, each asserted plain (no ``is_type_of``, every field a
    plain attribute: a field given a resolver would silently send every answer down the
    generic path)."""
    pending = [schema.get_type(root)]
    seen: set[str] = set()
    while pending:
        object_type = pending.pop()
        assert isinstance(object_type, GraphQLObjectType)
        if object_type.name in seen:
            continue
        seen.add(object_type.name)
        assert object_type.is_type_of is None
        for name, field in object_type.fields.items():
            assert fast_rows._plain(field), f"{object_type.name}.{name}"
            named = get_named_type(field.type)
            if isinstance(named, GraphQLObjectType):
                pending.append(named)
    return seen


def counting_walk(monkeypatch: Any, answer_type: type) -> list[bool]:
    """Records, per walk of a whole ``answer_type`` value, whether the walk completed it
    (True) or gave up for the generic path (False)."""
    done: list[bool] = []
    original = fast_rows.walk

    def walk(plan: Any, source: Any) -> Any:
        value: Any = fast_rows._FALLBACK
        try:
            value = original(plan, source)
            return value
        finally:
            if isinstance(source, answer_type):
                done.append(value is not fast_rows._FALLBACK)

    monkeypatch.setattr(fast_rows, "walk", walk)
    return done
