"""Limits on a parsed query document that are checked before GraphQL validates it.

Validation is the expensive step for a hostile document: graphql-core's rules cost about as
much per field as a small resolver, and some are quadratic in fields sharing a name (2,000
``__typename`` in one selection set took seconds to refuse), and strawberry's depth limiter
recurses once per nested fragment spread (300 chained fragments ended in "maximum recursion
depth exceeded"). So before validation one cheap, non-recursive walk over the document
counts its fields and measures how deep its fragment spreads nest, and refuses the document
with a coded error when either passes its limit; validation then never sees it.

Also here: the validation rule refusing a string literal longer than the schema allows (the
document itself is already bounded in length before it is parsed, see ``graphql_http``).
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from graphql import (
    ASTValidationRule,
    DocumentNode,
    FieldNode,
    FragmentDefinitionNode,
    FragmentSpreadNode,
    GraphQLError,
    InlineFragmentNode,
    OperationDefinitionNode,
    StringValueNode,
    ValidationContext,
)

from network_common.errors import ErrorCode

VALIDATION_FAILED = "GRAPHQL_VALIDATION_FAILED"
#: Fragment spreads nesting deeper than this are refused (real documents nest a few levels).
MAX_FRAGMENT_NESTING = 32


@dataclass(frozen=True, slots=True)
class GraphQLLimits:
    """What one GraphQL endpoint accepts; each app fills it from its settings
    (``HUB_MAX_*`` / ``NODE_MAX_*``, documented in the README)."""

    #: The HTTP body, in bytes (more: HTTP 413 before the rest is read).
    max_body_bytes: int = 1024 * 1024
    #: The query document, in characters (checked before it is parsed).
    max_query_length: int = 32 * 1024
    #: Any string: in the variables (before parsing) or a literal in the document.
    max_string_length: int = 10_000
    max_depth: int = 10
    max_aliases: int = 30
    #: Tokens of the document (the parser stops after this many).
    max_tokens: int = 2000
    #: Fields written in the document, fragments included (checked before validation).
    max_fields: int = 300


def _fields_and_spreads(definition: Any) -> tuple[int, set[str]]:
    """Fields written in one definition, and the fragment names it spreads (no recursion)."""
    fields = 0
    spreads: set[str] = set()
    pending = [definition.selection_set]
    while pending:
        selection_set = pending.pop()
        if selection_set is None:
            continue
        for selection in selection_set.selections:
            if isinstance(selection, FieldNode):
                fields += 1
                pending.append(selection.selection_set)
            elif isinstance(selection, InlineFragmentNode):
                pending.append(selection.selection_set)
            elif isinstance(selection, FragmentSpreadNode):
                spreads.add(selection.name.value)
    return fields, spreads


def _deepest_spread_chain(spreads: dict[str, set[str]]) -> int:
    """The longest chain of fragment spreads (cycles are left to validation to report)."""
    depth: dict[str, int] = {}
    for root in spreads:
        if root in depth:
            continue
        path: list[tuple[str, Iterator[str]]] = [(root, iter(spreads[root]))]
        on_path = {root}
        while path:
            name, children = path[-1]
            for child in children:
                if child in spreads and child not in depth and child not in on_path:
                    path.append((child, iter(spreads[child])))
                    on_path.add(child)
                    break
            else:
                path.pop()
                on_path.discard(name)
                depth[name] = 1 + max((depth.get(c, 0) for c in spreads[name]), default=0)
    return max(depth.values(), default=0)


def document_problem(document: DocumentNode, *, max_fields: int) -> str | None:
    """Why ``document`` is refused before validation, or None."""
    fields = 0
    spreads: dict[str, set[str]] = {}
    for definition in document.definitions:
        if isinstance(definition, FragmentDefinitionNode):
            count, names = _fields_and_spreads(definition)
            spreads[definition.name.value] = names
        elif isinstance(definition, OperationDefinitionNode):
            count, _ = _fields_and_spreads(definition)
        else:
            continue
        fields += count
        if fields > max_fields:
            return f"The query selects more than {max_fields} fields"
    if _deepest_spread_chain(spreads) > MAX_FRAGMENT_NESTING:
        return f"Fragment spreads nest more than {MAX_FRAGMENT_NESTING} levels deep"
    return None


def string_length_rule(max_length: int) -> type[ASTValidationRule]:
    """A validation rule: every string literal in the document has at most ``max_length``
    characters (variables are checked before parsing, in ``graphql_http``)."""

    class StringLength(ASTValidationRule):
        def __init__(self, context: ValidationContext) -> None:
            super().__init__(context)

        def enter_string_value(self, node: StringValueNode, *_args: Any) -> None:
            if len(node.value) > max_length:
                self.report_error(
                    GraphQLError(
                        f"A string in the query is longer than {max_length} characters",
                        node,
                        extensions={"code": ErrorCode.PAYLOAD_TOO_LARGE.value},
                    )
                )

    return StringLength
