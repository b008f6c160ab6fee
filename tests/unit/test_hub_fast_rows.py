"""The flat-row shortcut answers exactly as graphql-core's generic path does."""

from __future__ import annotations

import enum
from typing import Any, cast

import pytest
import strawberry
from strawberry.schema.config import StrawberryConfig

from network_common import fast_rows
from network_common.known_documents import cached_validation
from network_hub.schema.fast_rows import HubRowsExecutionContext
from network_hub.schema.schema import resolve_attribute
from tests.support.plain_trees import counting_walk, plain_tree_types

ROWS: list[dict[str, Any]] = [
    {"barcode": "B1", "title": "One", "renewals": 2, "author": None, "extra": "ignored"},
    {"barcode": "B2", "title": "Two", "renewals": 0, "author": "Someone"},
]


@strawberry.type(name="NetworkLoan")
class Row:
    barcode: str
    title: str
    renewals: int
    author: str | None


def build(fast: bool, rows: list[dict[str, Any]]) -> strawberry.Schema:
    @strawberry.type
    class Query:
        @strawberry.field
        def loans(self) -> list[Row]:
            return cast(list[Row], rows)

    return strawberry.Schema(
        query=Query,
        config=StrawberryConfig(default_resolver=resolve_attribute),
        execution_context_class=HubRowsExecutionContext if fast else None,
    )


QUERY = """
query ($skip: Boolean!) {
  loans {
    __typename
    code: barcode
    title @skip(if: $skip)
    ...More
  }
}
fragment More on NetworkLoan { renewals author barcode }
"""


@pytest.mark.parametrize("skip", [True, False])
async def test_same_answer_with_aliases_fragments_typename_and_skip(
    skip: bool, monkeypatch: pytest.MonkeyPatch
) -> None:
    projected: list[int] = []
    original = fast_rows.project

    def counting(rows: list[Any], plan: Any) -> Any:
        projected.append(len(rows))
        return original(rows, plan)

    monkeypatch.setattr(fast_rows, "project", counting)
    fast = await build(True, ROWS).execute(QUERY, variable_values={"skip": skip})
    assert projected == [2]  # the shortcut was taken
    slow = await build(False, ROWS).execute(QUERY, variable_values={"skip": skip})
    assert fast.errors is None
    assert fast.data == slow.data
    assert fast.data is not None
    assert fast.data["loans"][0] == {
        "__typename": "NetworkLoan",
        "code": "B1",
        **({} if skip else {"title": "One"}),
        "renewals": 2,
        "author": None,
        "barcode": "B1",
    }


async def test_a_null_in_a_non_null_field_errors_as_usual() -> None:
    rows = [{"barcode": None, "title": "One", "renewals": 1, "author": None}]
    fast = await build(True, rows).execute("{ loans { barcode } }")
    slow = await build(False, rows).execute("{ loans { barcode } }")
    assert fast.errors is not None
    assert slow.errors is not None
    assert [e.message for e in fast.errors] == [e.message for e in slow.errors]
    assert fast.data == slow.data


# --- the plain-tree walk (plain_trees): a whole answer object completed without graphql-core


@strawberry.enum
class Colour(enum.Enum):
    RED = "RED"
    BLUE = "BLUE"


@strawberry.type
class Amount:
    amount: str
    currency: str


@strawberry.type
class Group:
    code: str
    count: int
    balances: list[Amount]


@strawberry.type(name="NetworkActivity")
class Answer:
    patron_id: str
    note: str | None
    colour: Colour
    flags: list[bool]
    total: Amount
    maybe: Amount | None
    groups: list[Group]
    loans: list[Row]

    @strawberry.field
    def computed(self) -> str:
        return self.patron_id.upper()


def answer(**changes: Any) -> Answer:
    values: dict[str, Any] = {
        "patron_id": "p1",
        "note": None,
        "colour": Colour.BLUE,
        "flags": [True, False],
        "total": Amount(amount="1.50", currency="EUR"),
        "maybe": None,
        "groups": [
            Group(code="A", count=2, balances=[Amount(amount="1.00", currency="EUR")]),
            Group(code="B", count=0, balances=[]),
        ],
        "loans": cast(list[Row], ROWS),
    }
    values.update(changes)
    return Answer(**values)


def build_tree(fast: bool, value: Answer, *, keep_documents: bool = False) -> strawberry.Schema:
    """``keep_documents``: parsed documents are kept, as the hub's schema does."""

    @strawberry.type
    class Query:
        @strawberry.field
        async def activity(self) -> Answer:
            return value

    return strawberry.Schema(
        query=Query,
        config=StrawberryConfig(default_resolver=resolve_attribute),
        execution_context_class=HubRowsExecutionContext if fast else None,
        extensions=[cached_validation()] if keep_documents else [],
    )


TREE_QUERY = """
query ($skip: Boolean!) {
  activity {
    __typename
    id: patronId
    note colour flags
    total { amount currency }
    maybe { amount }
    groups { __typename code count @skip(if: $skip) ...Balances }
    loans { code: barcode renewals author }
  }
}
fragment Balances on Group { balances { amount currency } }
"""


@pytest.mark.parametrize("skip", [True, False])
async def test_a_plain_tree_is_walked_to_the_same_answer(
    skip: bool, monkeypatch: pytest.MonkeyPatch
) -> None:
    done = counting_walk(monkeypatch, Answer)
    variables = {"skip": skip}
    fast = await build_tree(True, answer()).execute(TREE_QUERY, variable_values=variables)
    assert done == [True]  # the walk answered, graphql-core did not complete the object
    slow = await build_tree(False, answer()).execute(TREE_QUERY, variable_values=variables)
    assert fast.errors is None
    assert slow.errors is None
    assert fast.data == slow.data
    assert fast.data is not None
    assert fast.data["activity"]["colour"] == "BLUE"
    assert fast.data["activity"]["groups"][0] == {
        "__typename": "Group",
        "code": "A",
        **({} if skip else {"count": 2}),
        "balances": [{"amount": "1.00", "currency": "EUR"}],
    }


async def test_a_field_with_a_resolver_takes_the_generic_path(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    done = counting_walk(monkeypatch, Answer)
    query = "{ activity { patronId computed total { amount } } }"
    fast = await build_tree(True, answer()).execute(query)
    assert done == []  # not planned at all
    slow = await build_tree(False, answer()).execute(query)
    assert fast.errors is None
    assert (
        fast.data
        == slow.data
        == {"activity": {"patronId": "p1", "computed": "P1", "total": {"amount": "1.50"}}}
    )


@pytest.mark.parametrize(
    "changes",
    [
        {"total": Amount(amount=None, currency="EUR")},  # type: ignore[arg-type]
        {"groups": [Group(code="A", count=2**40, balances=[])]},  # Int out of range
        {"flags": [True, None]},
        {"groups": (Group(code="A", count=1, balances=[]),)},  # a tuple, not a list
    ],
    ids=["null-in-non-null", "int-out-of-range", "null-list-item", "tuple"],
)
async def test_what_the_walk_does_not_handle_is_answered_as_graphql_core_does(
    changes: dict[str, Any], monkeypatch: pytest.MonkeyPatch
) -> None:
    done = counting_walk(monkeypatch, Answer)
    fast = await build_tree(True, answer(**changes)).execute(TREE_QUERY, {"skip": False})
    assert done == [False]  # walked, gave up, the generic path answered
    slow = await build_tree(False, answer(**changes)).execute(TREE_QUERY, {"skip": False})
    assert fast.data == slow.data
    assert [e.message for e in fast.errors or []] == [e.message for e in slow.errors or []]
    assert [e.path for e in fast.errors or []] == [e.path for e in slow.errors or []]


def counting_plans(monkeypatch: pytest.MonkeyPatch) -> list[int]:
    made: list[int] = []
    original = HubRowsExecutionContext._tree_plan

    def plan(self: Any, object_type: Any, field_details_list: Any) -> Any:
        if object_type.name == "NetworkActivity":  # not the nested types' plans
            made.append(1)
        return original(self, object_type, field_details_list)

    monkeypatch.setattr(HubRowsExecutionContext, "_tree_plan", plan)
    return made


async def test_a_plan_is_made_once_for_a_kept_document_without_directives(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    made = counting_plans(monkeypatch)
    query = """
    query { activity { id: patronId colour ...G loans { barcode } } }
    fragment G on NetworkActivity { groups { code balances { amount } } }
    """
    value = answer()
    schema = build_tree(True, value, keep_documents=True)
    first = await schema.execute(query)
    value.patron_id, value.groups = "p2", []  # another patron's answer, same document
    second = await schema.execute(query)
    assert len(made) == 1
    assert first.errors is None
    assert second.errors is None
    assert first.data is not None
    assert second.data is not None
    assert (first.data["activity"]["id"], second.data["activity"]["id"]) == ("p1", "p2")
    assert first.data["activity"]["groups"][0] == {
        "code": "A",
        "balances": [{"amount": "1.00"}],
    }
    assert second.data["activity"]["groups"] == []


@pytest.mark.parametrize(
    "query",
    [
        TREE_QUERY,  # @skip on a field
        """query ($skip: Boolean!) { activity { ...G } }
        fragment G on NetworkActivity { groups { code count @skip(if: $skip) } }""",
        """query ($skip: Boolean!) { activity { groups { ...C @skip(if: $skip) code } } }
        fragment C on Group { count }""",
    ],
    ids=["field", "in-fragment", "on-spread"],
)
async def test_a_selection_with_directives_is_planned_for_its_variables(
    query: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    made = counting_plans(monkeypatch)
    fast = build_tree(True, answer(), keep_documents=True)
    slow = build_tree(False, answer())
    for skip in (True, False, True):
        got = await fast.execute(query, variable_values={"skip": skip})
        want = await slow.execute(query, variable_values={"skip": skip})
        assert got.errors is None
        assert got.data == want.data
    assert len(made) == 3  # each query planned anew: @skip depends on the variables


def test_the_hubs_network_activity_answer_is_a_plain_tree() -> None:
    from network_hub.schema.schema import build_schema

    seen = plain_tree_types(build_schema()._schema, "NetworkActivity")
    assert {"NetworkLoan", "MoneyAmount", "ActivityInstitution", "MemberUnavailable"} <= seen
