"""Error shaping: GraphQL's own errors before execution are the caller's (named); inside a
field they are the server's (masked as INTERNAL)."""

from __future__ import annotations

import logging

import pytest
import strawberry

from network_common.graphql_errors import QuietSchema, ShapeErrors


@strawberry.type
class Query:
    @strawberry.field
    def echo(self, n: int) -> int:
        return n

    @strawberry.field
    def too_big(self) -> int:
        return 2**40  # the schema cannot serialise it: a server bug


SCHEMA = QuietSchema(query=Query, extensions=[ShapeErrors])


async def test_a_variable_that_cannot_be_coerced_is_named() -> None:
    result = await SCHEMA.execute("query($n: Int!) { echo(n: $n) }", variable_values={"n": 2**40})
    assert result.errors is not None
    assert result.errors[0].extensions == {"code": "GRAPHQL_VALIDATION_FAILED"}
    assert "Int cannot represent" in result.errors[0].message


async def test_a_value_the_schema_cannot_serialise_stays_masked(
    caplog: pytest.LogCaptureFixture,
) -> None:
    with caplog.at_level(logging.CRITICAL, logger="graphql.errors"):
        result = await SCHEMA.execute("{ tooBig }")
    assert result.errors is not None
    assert result.errors[0].extensions == {"code": "INTERNAL"}
    assert result.errors[0].message == "Internal server error"
