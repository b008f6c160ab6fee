"""The node's answer to the hub's ``networkActivity`` is walked (``network_common/fast_rows.py``)
and answers exactly as graphql-core's generic path does, errors included."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any, ClassVar, NewType

import pytest
import strawberry
from strawberry.schema.config import StrawberryConfig

from institution_node.api.network import activity as network_activity_api
from institution_node.api.network import schema as network_schema
from institution_node.services.network import activity as service
from network_common.fast_rows import FastRowsExecutionContext
from network_common.graphql_errors import QuietSchema, standard_extensions
from network_hub.activity.upstream import NETWORK_ACTIVITY_QUERY
from tests.support.plain_trees import counting_walk, plain_tree_types

AT = datetime(2026, 1, 5, 10, 0, tzinfo=UTC)


def patron(**changes: Any) -> service.PatronActivity:
    loans = [
        service.ActivityLoan(
            "A Study of Things",
            None if i else "Someone",
            f"B{i}",
            AT,
            AT,
            i % 3,
            "UNIB",
            "MAIN" if i % 2 else None,
            "MAIN",
        )
        for i in range(5)
    ]
    requests = [
        service.ActivityRequest(
            "Wanted",
            None,
            status,
            "UNIA",
            None,
            AT,
            "MAIN",
            None,
            AT if status == "ON_HOLD_SHELF" else None,
        )
        for status in ("IN_PROCESS", "ON_HOLD_SHELF")
    ]
    fees = [service.ActivityFee("OVERDUE", Decimal("12.50"), Decimal("2.5"), "USD", "MAIN")]
    activity = service.PatronActivity(
        identity=service.Identity("UNIA", "P1"),
        found=True,
        local_primary_id="local-1",
        network_link_id="link-1",
        loans=loans,
        requests=requests,
        fees=fees,
    )
    return replace(activity, **changes)


class Context:
    """What the network API's resolvers ask of their context, without a database."""

    def __init__(self, answers: list[service.PatronActivity]) -> None:
        self.answers = answers

    def hub(self) -> None:
        return None

    async def read(self, _work: Any) -> list[service.PatronActivity]:
        return self.answers


def schemas() -> tuple[strawberry.Schema, strawberry.Schema]:
    """The node's network schema, and the same without the walk (graphql-core's path)."""
    fast = network_schema.build_schema()
    slow = QuietSchema(
        query=network_schema.Query,
        mutation=network_schema.Mutation,
        extensions=standard_extensions(introspection=True),
    )
    return fast, slow


VARIABLES = {"patrons": [{"homeInstitution": "UNIA", "homeUserId": "P1"}]}
OTHER = """
query ($skip: Boolean!) {
  networkActivity(patrons: [{homeInstitution: "UNIA", homeUserId: "P1"}]) {
    __typename id: homeUserId found localPrimaryId
    loans { __typename due: dueDate ...L }
    requests { status holdShelfExpiry author @skip(if: $skip) }
    fees { type original balance }
  }
}
fragment L on ActivityLoan { title renewals loanLocation }
"""


@pytest.mark.parametrize(
    ("query", "variables"),
    [
        (NETWORK_ACTIVITY_QUERY, VARIABLES),
        (OTHER, {"skip": True}),
        (OTHER, {"skip": False}),
    ],
    ids=["the-hubs-document", "aliases-fragments-skip", "aliases-fragments"],
)
async def test_the_walk_answers_as_graphql_core(
    query: str, variables: dict[str, Any], monkeypatch: pytest.MonkeyPatch
) -> None:
    done = counting_walk(monkeypatch, network_activity_api.PatronActivity)
    fast, slow = schemas()
    answers = [patron(), patron(identity=service.Identity("UNIA", "P2"), loans=[], fees=[])]
    got = await fast.execute(query, variable_values=variables, context_value=Context(answers))
    assert done
    assert all(done)  # the walk answered, graphql-core did not complete the objects
    want = await slow.execute(query, variable_values=variables, context_value=Context(answers))
    assert got.errors is None
    assert want.errors is None
    assert got.data == want.data
    assert got.data is not None
    first = got.data["networkActivity"][0]
    if query is NETWORK_ACTIVITY_QUERY:
        assert first["loans"][0]["loanDate"] == "2026-01-05T10:00:00+00:00"
        assert first["fees"] == [
            {
                "type": "OVERDUE",
                "original": "12.50",
                "balance": "2.5",
                "currency": "USD",
                "owner": "MAIN",
            }
        ]
        assert first["requests"][1]["status"] == "ON_HOLD_SHELF"


@pytest.mark.parametrize(
    "changes",
    [
        {"loans": [replace(patron().loans[0], title=None)]},  # null in a non-null field
        {"loans": [replace(patron().loans[0], loaned_at="yesterday")]},  # not a datetime
        {"found": None},  # null in a non-null field of the patron's own
        {"loans": [replace(patron().loans[0], renewals=2**40)]},  # Int out of range
    ],
    ids=["null", "not-a-datetime", "null-found", "int-out-of-range"],
)
async def test_what_the_walk_does_not_handle_is_answered_as_graphql_core_does(
    changes: dict[str, Any], monkeypatch: pytest.MonkeyPatch
) -> None:
    done = counting_walk(monkeypatch, network_activity_api.PatronActivity)
    fast, slow = schemas()
    answers = [patron(**changes)]
    got = await fast.execute(
        NETWORK_ACTIVITY_QUERY, variable_values=VARIABLES, context_value=Context(answers)
    )
    assert done == [False]  # walked, gave up, the generic path answered
    want = await slow.execute(
        NETWORK_ACTIVITY_QUERY, variable_values=VARIABLES, context_value=Context(answers)
    )
    assert got.data == want.data
    assert [e.message for e in got.errors or []] == [e.message for e in want.errors or []]
    assert [e.path for e in got.errors or []] == [e.path for e in want.errors or []]
    assert [e.extensions for e in got.errors or []] == [e.extensions for e in want.errors or []]


NothingValue = NewType("NothingValue", str)
#: A scalar that coerces every value to nothing (graphql-core answers that with an error).
NOTHING = StrawberryConfig(
    scalar_map={
        NothingValue: strawberry.scalar(
            name="Nothing", serialize=lambda _value: None, parse_value=str
        )
    }
)


@strawberry.type
class Thing:
    name: str
    odd: NothingValue


class ThingContext(FastRowsExecutionContext):
    plain_trees: ClassVar[frozenset[str]] = frozenset({"Thing"})


async def test_a_leaf_coerced_to_nothing_is_graphql_cores_error() -> None:
    @strawberry.type
    class Query:
        @strawberry.field
        def thing(self) -> Thing:
            return Thing(name="x", odd=NothingValue("y"))

    fast = strawberry.Schema(query=Query, config=NOTHING, execution_context_class=ThingContext)
    slow = strawberry.Schema(query=Query, config=NOTHING)
    got = await fast.execute("{ thing { name odd } }")
    want = await slow.execute("{ thing { name odd } }")
    assert got.errors
    assert got.data == want.data
    assert got.data is None
    assert [e.message for e in got.errors] == [e.message for e in want.errors or []]


def test_the_nodes_patron_activity_is_a_plain_tree() -> None:
    schema = network_schema.build_schema()._schema
    assert plain_tree_types(schema, "PatronActivity") == {
        "PatronActivity",
        "ActivityLoan",
        "ActivityRequest",
        "ActivityFee",
    }
