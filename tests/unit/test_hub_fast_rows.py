"""The flat-row shortcut answers exactly as graphql-core's generic path does."""

from __future__ import annotations

from typing import Any, cast

import pytest
import strawberry
from strawberry.schema.config import StrawberryConfig

from network_hub.schema import fast_rows
from network_hub.schema.fast_rows import FastRowsExecutionContext
from network_hub.schema.schema import resolve_attribute

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
        execution_context_class=FastRowsExecutionContext if fast else None,
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
