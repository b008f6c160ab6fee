"""A known document takes ``QuietSchema``'s known lane (graphql-core's ``execute`` without
strawberry's extension pipeline) and answers exactly as strawberry's path does: data,
errors, codes, masking, hidden suggestions, variables and operation names."""

from __future__ import annotations

from typing import Any

import pytest
import strawberry
from strawberry.types.graphql import OperationType

from network_common.errors import NotFound
from network_common.graphql_errors import QuietSchema, standard_extensions


@strawberry.type
class Query:
    @strawberry.field
    async def echo(self, text: str = "x") -> str:
        return text

    @strawberry.field
    def missing(self) -> str:
        raise NotFound("No such patron")

    @strawberry.field
    def boom(self) -> str | None:
        raise RuntimeError("secret SQL: SELECT * FROM users")

    @strawberry.field
    def who(self, info: strawberry.Info) -> str:
        return str(info.context["who"])


@strawberry.type
class Mutation:
    @strawberry.mutation
    def shout(self, text: str) -> str:
        return text.upper()


class Counting(QuietSchema):
    lane_calls = 0

    async def _execute_known(self, *args: Any, **kwargs: Any) -> Any:
        type(self).lane_calls += 1
        return await super()._execute_known(*args, **kwargs)


def schema(*, lane: bool) -> Counting:
    s = Counting(
        query=Query,
        mutation=Mutation,
        extensions=standard_extensions(introspection=False),
        hide_suggestions=True,
    )
    s.known_lane = lane
    return s


CASES: list[tuple[str, dict[str, Any] | None, str | None]] = [
    ("{ echo }", None, None),
    ("query Q($t: String!) { echo(text: $t) }", {"t": "hi"}, None),
    ("query Q($t: String!) { echo(text: $t) }", {"t": 3}, None),
    ("query Q($t: String!) { echo(text: $t) }", {}, None),
    ("query Q($t: String!) { echo(text: $t) }", None, None),
    ("{ missing }", None, None),
    ("{ boom echo }", None, None),
    ('{ who a: echo(text: "y") __typename }', None, None),
    ("query A { echo } query B { who }", None, "B"),
    ("query A { echo } query B { who }", None, None),
    ("query A { echo } query B { who }", None, "C"),
    ("mutation M($t: String!) { shout(text: $t) }", {"t": "quiet"}, None),
]


def formatted(result: Any) -> dict[str, Any]:
    return {
        "data": result.data,
        "errors": [e.formatted for e in result.errors or ()],
        "extensions": result.extensions or None,
    }


async def answer(s: QuietSchema, query: str, variables: Any, name: str | None) -> Any:
    try:
        return formatted(
            await s.execute(
                query, variable_values=variables, context_value={"who": "w"}, operation_name=name
            )
        )
    except Exception as exc:  # strawberry raises for an operation it cannot find
        return ("raised", type(exc).__name__, str(exc))


@pytest.mark.parametrize(("query", "variables", "name"), CASES)
async def test_a_known_document_answers_as_strawberrys_path(
    query: str, variables: Any, name: str | None
) -> None:
    generic, lane = schema(lane=False), schema(lane=True)
    expected = [await answer(generic, query, variables, name) for _ in range(2)]
    assert expected[0] == expected[1]
    Counting.lane_calls = 0
    got = [await answer(lane, query, variables, name) for _ in range(2)]
    assert got == expected
    accepted = lane._known is not None and lane._known.lookup(query) is not None
    # The second run of an accepted document whose operation is found takes the lane.
    several = query.count("query ") > 1 and name is None
    assert Counting.lane_calls == (1 if accepted and name != "C" and not several else 0)


async def test_the_lane_is_taken_and_masks_what_a_resolver_leaks() -> None:
    lane = schema(lane=True)
    Counting.lane_calls = 0
    for _ in range(3):
        result = await lane.execute("{ boom }")
    assert Counting.lane_calls == 2
    assert result.data == {"boom": None}
    [error] = result.errors or []
    assert error.message == "Internal server error"
    assert error.extensions == {"code": "INTERNAL"}
    assert "SQL" not in str(error.formatted)


async def test_an_operation_type_not_allowed_takes_strawberrys_path() -> None:
    lane = schema(lane=True)
    doc = 'mutation M { shout(text: "a") }'
    await lane.execute(doc)
    Counting.lane_calls = 0
    with pytest.raises(Exception, match="MUTATION"):
        await lane.execute(doc, allowed_operation_types={OperationType.QUERY})
    assert Counting.lane_calls == 0


async def test_a_schema_with_other_extensions_has_no_lane() -> None:
    from strawberry.extensions import SchemaExtension

    class Other(SchemaExtension):
        pass

    s = QuietSchema(query=Query, extensions=[*standard_extensions(introspection=True), Other])
    assert s._known is None
    assert (await s.execute("{ echo }")).data == {"echo": "x"}
