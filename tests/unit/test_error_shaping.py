"""Error shaping: GraphQL's own errors before execution are the caller's (named); inside a
field they are the server's (masked as INTERNAL)."""

from __future__ import annotations

import logging

import pytest
import strawberry
from graphql import ASTValidationRule, parse
from strawberry.extensions import AddValidationRules

from network_common.graphql_errors import QuietSchema, ShapeErrors
from network_common.query_limits import document_problem


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


class _Exploding(ASTValidationRule):
    """A validation rule that fails: strawberry reports it outside the extensions."""

    def enter_field(self, *_args: object) -> None:
        raise RuntimeError("secret internal detail")


async def test_an_error_raised_while_validating_is_still_masked_and_coded(
    caplog: pytest.LogCaptureFixture,
) -> None:
    schema = QuietSchema(
        query=Query, extensions=[ShapeErrors, lambda: AddValidationRules([_Exploding])]
    )
    with caplog.at_level(logging.CRITICAL, logger="graphql.errors"):
        result = await schema.execute("{ echo(n: 1) }")
    assert result.errors is not None
    assert [e.extensions for e in result.errors] == [{"code": "INTERNAL"}]
    assert "secret" not in result.errors[0].message


@pytest.mark.parametrize("hide", [True, False])
async def test_suggestions_are_dropped_only_when_asked(hide: bool) -> None:
    schema = QuietSchema(query=Query, extensions=[ShapeErrors], hide_suggestions=hide)
    result = await schema.execute("{ ech(n: 1) }")
    assert result.errors is not None
    message = result.errors[0].message
    assert ("Did you mean" in message) is not hide
    assert message.startswith("Cannot query field 'ech' on type 'Query'.")


def test_fields_and_fragment_nesting_are_measured_without_recursion() -> None:
    chain = "\n".join(f"fragment F{i} on Query {{ ...F{i + 1} }}" for i in range(5000))
    document = parse("{ ...F0 }\n" + chain + "\nfragment F5000 on Query { echo(n: 1) }")
    assert "nest more than" in (document_problem(document, max_fields=10) or "")
    assert document_problem(parse("{ a: echo(n: 1) b: echo(n: 2) }"), max_fields=2) is None
    three = parse("query { ...A echo(n: 1) } fragment A on Query { x: echo(n: 2) y: echo(n: 3) }")
    assert "more than 2 fields" in (document_problem(three, max_fields=2) or "")
    cycle = parse("{ ...A } fragment A on Query { ...B } fragment B on Query { ...A }")
    assert document_problem(cycle, max_fields=10) is None  # validation reports cycles
