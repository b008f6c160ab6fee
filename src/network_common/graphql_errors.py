"""Error shaping for every GraphQL endpoint (node and hub).

Domain errors become ``{"message", "extensions": {"code"}}`` with the domain's stable code;
GraphQL validation/parse errors keep their message with ``GRAPHQL_VALIDATION_FAILED``;
anything else is logged and masked as ``INTERNAL`` so that stack traces, SQL and internal
URLs never reach a caller.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence
from typing import Any

import strawberry
from graphql.error import GraphQLError
from strawberry.extensions import (
    AddValidationRules,
    MaskErrors,
    MaxAliasesLimiter,
    MaxTokensLimiter,
    QueryDepthLimiter,
    SchemaExtension,
)
from strawberry.extensions.disable_introspection import DisableIntrospection

from network_common.errors import DomainError, ErrorCode
from network_common.known_documents import cached_validation

log = logging.getLogger("graphql.errors")

VALIDATION_FAILED = "GRAPHQL_VALIDATION_FAILED"


class ShapeErrors(MaskErrors):
    def __init__(self) -> None:
        super().__init__(error_message="Internal server error")

    def _process_errors(self, errors: list[GraphQLError]) -> list[GraphQLError]:
        return [self._shape(e) for e in errors]

    def _shape(self, error: GraphQLError) -> GraphQLError:
        original = error.original_error
        if isinstance(original, DomainError):
            return GraphQLError(
                original.message,
                nodes=error.nodes,
                path=error.path,
                extensions={"code": original.code.value},
            )
        if original is None or (isinstance(original, GraphQLError) and error.path is None):
            # No original error, or GraphQL's own before execution (a variable it cannot
            # coerce): the caller's request is at fault and the message names what is wrong.
            # (GraphQL's own errors inside a field, e.g. a value the schema cannot
            # serialise, are the server's and stay masked below.)
            code = (error.extensions or {}).get("code", VALIDATION_FAILED)
            return GraphQLError(
                error.message, nodes=error.nodes, path=error.path, extensions={"code": code}
            )
        log.error("unexpected error in %s", error.path, exc_info=original)
        return GraphQLError(
            self.error_message,
            nodes=error.nodes,
            path=error.path,
            extensions={"code": ErrorCode.INTERNAL.value},
        )


class QuietSchema(strawberry.Schema):
    """A schema that does not log every error with a traceback: refusals are normal
    answers, and :class:`ShapeErrors` already logs the unexpected ones."""

    def process_errors(self, errors: list[GraphQLError], execution_context: Any = None) -> None:
        return None


def standard_extensions(
    *,
    introspection: bool,
    max_depth: int = 10,
    max_aliases: int = 30,
    max_tokens: int = 2000,
) -> Sequence[Callable[[], SchemaExtension]]:
    """For one schema: a query text accepted before skips parsing and validation; limits
    on depth, aliases and tokens; masked errors; optional introspection.

    Factories, so each request gets fresh extension instances (the limit rules are built
    once per schema)."""
    rules = [
        *QueryDepthLimiter(max_depth=max_depth).validation_rules,
        *MaxAliasesLimiter(max_alias_count=max_aliases).validation_rules,
    ]
    extensions: list[Callable[[], SchemaExtension]] = [
        cached_validation(),
        lambda: MaxTokensLimiter(max_token_count=max_tokens),
        lambda: AddValidationRules(rules),
        ShapeErrors,
    ]
    if not introspection:
        extensions.append(DisableIntrospection)
    return extensions
