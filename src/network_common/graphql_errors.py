"""Error shaping for every GraphQL endpoint (node and hub).

Domain errors become ``{"message", "extensions": {"code"}}`` with the domain's stable code;
GraphQL validation/parse errors keep their message with ``GRAPHQL_VALIDATION_FAILED``;
anything else is logged and masked as ``INTERNAL`` so that stack traces, SQL and internal
URLs never reach a caller. :class:`QuietSchema` makes sure of it for every error of an answer
(also those strawberry produces outside the extensions, e.g. an exception while validating),
and with introspection off drops graphql-core's "Did you mean ...?" suggestions, which would
otherwise let a caller rebuild the schema field by field.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Callable, Iterator, Sequence
from typing import Any

import strawberry
from graphql import ASTValidationRule, NoSchemaIntrospectionCustomRule
from graphql import ExecutionResult as GraphQLExecutionResult
from graphql.error import GraphQLError
from strawberry.extensions import (
    MaskErrors,
    MaxAliasesLimiter,
    QueryDepthLimiter,
    SchemaExtension,
)
from strawberry.types.execution import ExecutionResult

from network_common.errors import DomainError, ErrorCode
from network_common.known_documents import KnownDocuments
from network_common.query_limits import (
    VALIDATION_FAILED,
    GraphQLLimits,
    document_problem,
    string_length_rule,
)

log = logging.getLogger("graphql.errors")

__all__ = [
    "VALIDATION_FAILED",
    "GraphQLLimits",
    "QuietSchema",
    "ShapeErrors",
    "shape",
    "standard_extensions",
]

INTERNAL_MESSAGE = "Internal server error"
#: graphql-core's suggestions in a message: " Did you mean 'user'?" (names are quoted, so the
#: first question mark ends it; in a variable's error more text follows).
_SUGGESTION = re.compile(r"\s*Did you mean [^?]*\?")


def shape(error: GraphQLError) -> GraphQLError:
    """The error as a caller may see it: a domain error's code and message, GraphQL's own
    errors before execution with their message, anything else masked as INTERNAL."""
    original = error.original_error
    if isinstance(original, DomainError):
        return GraphQLError(
            original.message,
            nodes=error.nodes,
            path=error.path,
            extensions={"code": original.code.value},
        )
    if isinstance(original, RecursionError):
        # A document or value nested beyond what the interpreter can walk: the caller's.
        return GraphQLError(
            "The query is nested too deeply", extensions={"code": VALIDATION_FAILED}
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
        INTERNAL_MESSAGE,
        nodes=error.nodes,
        path=error.path,
        extensions={"code": ErrorCode.INTERNAL.value},
    )


class ShapeErrors(MaskErrors):
    def __init__(self) -> None:
        super().__init__(error_message=INTERNAL_MESSAGE)

    def _process_errors(self, errors: list[GraphQLError]) -> list[GraphQLError]:
        return [shape(e) for e in errors]


class QuietSchema(strawberry.Schema):
    """A schema that does not log every error with a traceback (refusals are normal
    answers, and :func:`shape` logs the unexpected ones), whose answers carry a code on
    every error, and that gives no suggestions when ``hide_suggestions`` (introspection
    off)."""

    def __init__(self, *args: Any, hide_suggestions: bool = False, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.hide_suggestions = hide_suggestions

    def process_errors(self, errors: list[GraphQLError], execution_context: Any = None) -> None:
        return None

    async def execute(self, *args: Any, **kwargs: Any) -> ExecutionResult:
        result = await super().execute(*args, **kwargs)
        if result.errors:
            result.errors = [self._finish(e) for e in result.errors]
        return result

    def _finish(self, error: GraphQLError) -> GraphQLError:
        if not (error.extensions or {}).get("code"):
            error = shape(error)  # escaped the extensions (e.g. raised while validating)
        if self.hide_suggestions and "Did you mean" in error.message:
            error.message = _SUGGESTION.sub("", error.message)
        return error


def standard_extensions(
    *, introspection: bool, limits: GraphQLLimits | None = None
) -> Sequence[Callable[[], SchemaExtension]]:
    """For one schema: a query text accepted before skips parsing and validation; limits
    on tokens (while parsing), fields and fragment nesting (before validation), depth,
    aliases and string literals (while validating); masked errors; optional introspection.

    One extension doing all of it, not one each (strawberry's own ``MaxTokensLimiter``,
    ``AddValidationRules``, ``MaskErrors``, ``DisableIntrospection`` and the two of
    ``known_documents`` and ``query_limits``): strawberry enters every extension's hooks on
    every request, which cost six times what the work itself does for a known document.
    A factory, so each request gets a fresh instance (rules and cache are per schema).
    Build the schema as ``QuietSchema(..., hide_suggestions=not introspection)`` too."""
    limits = limits or GraphQLLimits()
    rules: tuple[type[ASTValidationRule], ...] = (
        *QueryDepthLimiter(max_depth=limits.max_depth).validation_rules,
        *MaxAliasesLimiter(max_alias_count=limits.max_aliases).validation_rules,
        string_length_rule(limits.max_string_length),
        *(() if introspection else (NoSchemaIntrospectionCustomRule,)),
    )
    max_tokens, max_fields = limits.max_tokens, limits.max_fields
    known = KnownDocuments()

    class Guarded(SchemaExtension):
        def on_operation(self) -> Iterator[None]:
            context = self.execution_context
            context.parse_options["max_tokens"] = max_tokens
            context.validation_rules = context.validation_rules + rules
            yield
            result = context.result
            if isinstance(result, GraphQLExecutionResult | ExecutionResult) and result.errors:
                result.errors = [shape(e) for e in result.errors]

        def on_parse(self) -> Iterator[None]:
            known.reuse(self.execution_context)
            yield

        def on_validate(self) -> Iterator[None]:
            context = self.execution_context
            skipped = known.skip_validation(context)
            document = context.graphql_document
            if not skipped and context.pre_execution_errors is None and document is not None:
                problem = document_problem(document, max_fields=max_fields)
                if problem is not None:
                    # Set errors make strawberry skip validation and answer them.
                    context.pre_execution_errors = [
                        GraphQLError(problem, extensions={"code": VALIDATION_FAILED})
                    ]
            yield
            if not skipped:
                known.remember(context)

    return [Guarded]
