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
from graphql import (
    ASTValidationRule,
    DocumentNode,
    NoSchemaIntrospectionCustomRule,
    OperationDefinitionNode,
)
from graphql import ExecutionResult as GraphQLExecutionResult
from graphql.error import GraphQLError
from strawberry.execution import optimized_is_awaitable
from strawberry.extensions import (
    MaskErrors,
    MaxAliasesLimiter,
    QueryDepthLimiter,
    SchemaExtension,
)
from strawberry.schema._graphql_core import execution_context_class_kwargs
from strawberry.types.execution import ExecutionResult
from strawberry.types.graphql import OperationType
from strawberry.utils.await_maybe import await_maybe
from strawberry.utils.operation import get_operation_type

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


#: Operations a known document may run without strawberry's extension pipeline.
_KNOWN_LANE_OPERATIONS = frozenset({OperationType.QUERY, OperationType.MUTATION})


class QuietSchema(strawberry.Schema):
    """A schema that does not log every error with a traceback (refusals are normal
    answers, and :func:`shape` logs the unexpected ones), whose answers carry a code on
    every error, and that gives no suggestions when ``hide_suggestions`` (introspection
    off).

    **Known documents skip strawberry's extension pipeline** (issue 17). When the schema's
    only extension is :func:`standard_extensions`' one, a query text that extension accepted
    before (``known_documents.py``) is run by graphql-core's own ``execute`` as strawberry
    would run it (the same document, execution context class, variables, context, root
    value and operation extensions; field resolvers, permissions and field extensions are
    strawberry's as always), and its errors are shaped as that extension and this class
    shape them. For such a document the pipeline does nothing else: parsing and validation
    are skipped, the limits and the introspection switch only act while parsing and
    validating, and the extension has no resolver middleware and no results. What it cost
    was strawberry's own bookkeeping per request (an extension instance, its runner, four
    hook contexts each inspected, two execution results): in-process, 188 against 78 µs
    for a one-field query. A subscription, an operation name the document lacks (or none
    for a document of several operations: strawberry then runs the first), or any other
    extension set takes strawberry's path, which answers it as before. ``known_lane =
    False`` turns it off (``tests/unit/test_known_lane.py`` compares both).
    """

    known_lane = True

    def __init__(self, *args: Any, hide_suggestions: bool = False, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.hide_suggestions = hide_suggestions
        extensions = list(self.extensions)
        known = getattr(extensions[0], "known_documents", None) if len(extensions) == 1 else None
        self._known: KnownDocuments | None = known

    def process_errors(self, errors: list[GraphQLError], execution_context: Any = None) -> None:
        return None

    async def execute(  # type: ignore[override]
        self,
        query: str | None,
        variable_values: dict[str, Any] | None = None,
        context_value: Any | None = None,
        root_value: Any | None = None,
        operation_name: str | None = None,
        allowed_operation_types: Any = None,
        operation_extensions: dict[str, Any] | None = None,
    ) -> ExecutionResult:
        document = self._known_document(query, operation_name, allowed_operation_types)
        if document is not None:
            return await self._execute_known(
                document,
                variable_values=variable_values,
                context_value=context_value,
                root_value=root_value,
                operation_name=operation_name,
                operation_extensions=operation_extensions,
            )
        result = await super().execute(
            query,
            variable_values=variable_values,
            context_value=context_value,
            root_value=root_value,
            operation_name=operation_name,
            allowed_operation_types=allowed_operation_types,
            operation_extensions=operation_extensions,
        )
        if result.errors:
            result.errors = [self._finish(e) for e in result.errors]
        return result

    def _known_document(
        self, query: str | None, operation_name: str | None, allowed: Any
    ) -> DocumentNode | None:
        """The accepted document of ``query`` when it may take the known lane, else None."""
        if self._known is None or not self.known_lane or not query:
            return None
        document = self._known.lookup(query)
        if document is None:
            return None
        if operation_name is None and _operations(document) != 1:
            return None  # strawberry's path picks the operation then
        try:
            operation = get_operation_type(document, operation_name)
        except RuntimeError:
            return None  # strawberry's path names the problem
        if operation not in _KNOWN_LANE_OPERATIONS or (
            allowed is not None and operation not in allowed
        ):
            return None
        return document

    async def _execute_known(
        self,
        document: DocumentNode,
        *,
        variable_values: dict[str, Any] | None,
        context_value: Any,
        root_value: Any,
        operation_name: str | None,
        operation_extensions: dict[str, Any] | None,
    ) -> ExecutionResult:
        """What ``Schema.execute`` does for an accepted document (see the class notes)."""
        try:
            result = await await_maybe(
                self._get_execute_function()(
                    self._schema,
                    document,
                    root_value=root_value,
                    variable_values=variable_values,
                    operation_name=operation_name,
                    context_value=context_value,
                    is_awaitable=optimized_is_awaitable,
                    **execution_context_class_kwargs(self.execution_context_class),
                    operation_extensions=operation_extensions,
                )
            )
        except Exception as exc:  # as strawberry answers one: masked below
            return ExecutionResult(data=None, errors=[self._finish(_as_graphql_error(exc))])
        errors = result.errors
        return ExecutionResult(
            data=result.data,
            errors=[self._finish(shape(e)) for e in errors] if errors else None,
            extensions={},
        )

    def _finish(self, error: GraphQLError) -> GraphQLError:
        if not (error.extensions or {}).get("code"):
            error = shape(error)  # escaped the extensions (e.g. raised while validating)
        if self.hide_suggestions and "Did you mean" in error.message:
            error.message = _SUGGESTION.sub("", error.message)
        return error


def _operations(document: DocumentNode) -> int:
    return sum(1 for d in document.definitions if isinstance(d, OperationDefinitionNode))


def _as_graphql_error(error: Exception) -> GraphQLError:
    if isinstance(error, GraphQLError):
        return error
    return GraphQLError(str(error), original_error=error)


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
        #: What ``QuietSchema``'s known lane reads.
        known_documents = known

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
