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

MAX_ENTRIES = 256


def cached_validation(max_entries: int = MAX_ENTRIES) -> Callable[[], SchemaExtension]:
    """An extension factory sharing one cache (list it first, before the limiters)."""
    known: OrderedDict[str, DocumentNode] = OrderedDict()

    class KnownDocuments(SchemaExtension):
        def on_parse(self) -> Iterator[None]:
            context = self.execution_context
            document = known.get(context.query) if context.query is not None else None
            if document is not None:
                known.move_to_end(context.query)  # type: ignore[arg-type]
                context.graphql_document = document  # strawberry then skips parsing
            yield

        def on_validate(self) -> Iterator[None]:
            context = self.execution_context
            query = context.query
            cached = query is not None and known.get(query) is context.graphql_document
            if cached:
                context.pre_execution_errors = []  # strawberry then skips validation
            yield
            if cached or query is None or context.graphql_document is None:
                return
            if context.pre_execution_errors == []:
                known[query] = context.graphql_document
                if len(known) > max_entries:
                    known.popitem(last=False)

    return KnownDocuments
