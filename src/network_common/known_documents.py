"""Reuse the parsed document and validation outcome of a query text already accepted.

Parsing and validating a query costs a few milliseconds per request (for the hub's Network
Activity query, a large share of the hub's own time). The rules (limits, introspection
switch) are fixed per schema and validation does not depend on variables, so a query text
that parsed and validated once stays valid. Only successes are cached, in a bounded LRU per schema.
"""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Callable, Iterator

from graphql import DocumentNode
from strawberry.extensions import SchemaExtension
from strawberry.types.execution import ExecutionContext

MAX_ENTRIES = 256


class KnownDocuments:
    """The accepted documents of one schema, by query text (a bounded LRU)."""

    def __init__(self, max_entries: int = MAX_ENTRIES) -> None:
        self.max_entries = max_entries
        self._known: OrderedDict[str, DocumentNode] = OrderedDict()

    def lookup(self, query: str) -> DocumentNode | None:
        """The accepted document of ``query``, if it is one (see ``QuietSchema.execute``)."""
        document = self._known.get(query)
        if document is not None:
            self._known.move_to_end(query)
        return document

    def reuse(self, context: ExecutionContext) -> None:
        """Before parsing: a known text gets its document (strawberry then skips parsing)."""
        query = context.query
        document = self._known.get(query) if query is not None else None
        if document is not None:
            self._known.move_to_end(query)  # type: ignore[arg-type]
            context.graphql_document = document

    def skip_validation(self, context: ExecutionContext) -> bool:
        """Before validating: whether the document is one accepted before (if so,
        strawberry is told it validated, with no errors)."""
        query = context.query
        known = query is not None and self._known.get(query) is context.graphql_document
        if known:
            context.pre_execution_errors = []
        return known

    def remember(self, context: ExecutionContext) -> None:
        """After validating a new document: keep it if it was accepted."""
        query, document = context.query, context.graphql_document
        if query is None or document is None or context.pre_execution_errors != []:
            return
        self._known[query] = document
        if len(self._known) > self.max_entries:
            self._known.popitem(last=False)


def cached_validation(max_entries: int = MAX_ENTRIES) -> Callable[[], SchemaExtension]:
    """An extension factory sharing one cache (list it first, before the limiters).
    ``graphql_errors.standard_extensions`` does the same inside its one extension."""
    known = KnownDocuments(max_entries)

    class CachedValidation(SchemaExtension):
        def on_parse(self) -> Iterator[None]:
            known.reuse(self.execution_context)
            yield

        def on_validate(self) -> Iterator[None]:
            skipped = known.skip_validation(self.execution_context)
            yield
            if not skipped:
                known.remember(self.execution_context)

    return CachedValidation
