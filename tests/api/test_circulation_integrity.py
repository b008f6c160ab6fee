"""Loans under contention, failures that must leave nothing behind, and N+1 guards."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from sqlalchemy import func, select

from institution_node.services.circulation import loans as circulation
from institution_node.store.models import Item, Loan, Notification, Request
from tests.conftest import NodeFactory
from tests.support.builders import api_key, holding, record, two_library_institution
from tests.support.circ_queries import LOAN, RETURN, USER_FEES, USER_LOANS
from tests.support.nodes import GraphQLErrors, NodeHarness
from tests.support.statements import count_statements


async def test_two_desks_loan_the_same_item_at_once(node_factory: NodeFactory, db_url: str) -> None:
    node = await node_factory(two_library_institution(), db_url=db_url)
    admin = await node.token(api_key("unia-admin"))
    main = await node.token(api_key("unia-main-op"))

    async def attempt(token: str, patron: str, barcode: str) -> str:
        variables = {"desk": "MAIN-DESK", "patron": patron, "barcode": barcode}
        try:
            await node.gql(LOAN, variables, token=token)
        except GraphQLErrors as exc:
            return exc.codes[0]
        return "OK"

    barcodes = ["M-1", "M-2", "M-3"]
    outcomes = await asyncio.gather(
        *(attempt(t, p, b) for b in barcodes for t, p in ((admin, "P1"), (main, "P2")))
    )
    for i, barcode in enumerate(barcodes):
        pair = sorted(outcomes[2 * i : 2 * i + 2])
        assert pair[0] in {"CONCURRENT_UPDATE", "ITEM_ON_LOAN"}, (barcode, pair)
        assert pair[1] == "OK", (barcode, pair)
    async with node.runtime.sessions() as s:
        active = await s.execute(
            select(Loan.item_id, func.count()).where(Loan.status == "ACTIVE").group_by(Loan.item_id)
        )
        assert sorted(n for _, n in active) == [1, 1, 1]
        receipts = await s.scalar(select(func.count()).select_from(Notification))
        assert receipts == 3


async def _snapshot(node: NodeHarness) -> tuple[Any, ...]:
    async with node.runtime.sessions() as s:
        return (
            (await s.execute(select(Loan.id, Loan.status).order_by(Loan.id))).all(),
            (
                await s.execute(select(Item.barcode, Item.status, Item.version).order_by(Item.id))
            ).all(),
            await s.scalar(select(func.count()).select_from(Notification)),
            await s.scalar(select(func.count()).select_from(Request)),
        )


async def test_failed_loan_and_return_leave_nothing_half_written(
    node_factory: NodeFactory, db_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    node = await node_factory(two_library_institution(), db_url=db_url)
    admin = await node.token(api_key("unia-admin"))
    await node.gql(LOAN, {"desk": "MAIN-DESK", "patron": "P2", "barcode": "M-2"}, token=admin)
    before = await _snapshot(node)

    async def broken_letter(*_args: object, **_kwargs: object) -> None:
        raise RuntimeError("mail spool is full")

    monkeypatch.setattr(circulation, "send_letter", broken_letter)
    with pytest.raises(GraphQLErrors) as err:
        await node.gql(LOAN, {"desk": "MAIN-DESK", "patron": "P1", "barcode": "M-1"}, token=admin)
    assert err.value.codes == ["INTERNAL"]
    assert "spool" not in err.value.errors[0]["message"]
    with pytest.raises(GraphQLErrors) as err:
        # Returned away from home: would have written a transit request too.
        await node.gql(RETURN, {"desk": "LAW-DESK", "barcode": "M-2"}, token=admin)
    assert err.value.codes == ["INTERNAL"]
    assert await _snapshot(node) == before

    monkeypatch.undo()
    back = await node.gql(RETURN, {"desk": "LAW-DESK", "barcode": "M-2"}, token=admin)
    assert back["return"]["nextStep"] == "TRANSIT"


def _with_loans(count: int) -> dict[str, Any]:
    data = two_library_institution()
    barcodes = [f"Q-{n}" for n in range(count)]
    data["records"].append(record("rec-q", holdings=[holding("MAIN", *barcodes)]))
    now = datetime.now(UTC)
    data["loans"] = [
        {
            "barcode": b,
            "patron": "P1",
            "desk": "MAIN-DESK",
            "loaned_at": now.isoformat(),
            "due_at": (now + timedelta(days=n + 1)).isoformat(),
        }
        for n, b in enumerate(barcodes)
    ]
    data["fees"] = [
        {"patron": "P1", "type": "OVERDUE", "owner": "MAIN", "amount": f"{n + 1}.25"}
        for n in range(count)
    ]
    return data


async def test_loans_and_fees_lists_cost_constant_statements(node_factory: NodeFactory) -> None:
    counts: dict[int, tuple[int, int]] = {}
    for size in (3, 40):
        node = await node_factory(_with_loans(size))
        token = await node.token(api_key("unia-main-op"))
        with count_statements(node.runtime.engine) as statements:
            loans = (await node.gql(USER_LOANS, {"id": "P1"}, token=token))["user"]["loans"]
        assert len(loans) == size
        assert [x["itemBarcode"] for x in loans][:2] == ["Q-0", "Q-1"]  # soonest due first
        with count_statements(node.runtime.engine) as fee_statements:
            fees = (await node.gql(USER_FEES, {"id": "P1"}, token=token))["user"]["fees"]
        assert len(fees) == size
        counts[size] = (len(statements), len(fee_statements))
    assert counts[3] == counts[40], counts
    # BEGIN + the caller's staff state (disabled, revoked: refused at once); BEGIN + the user
    # + the institution's search limit (limit_user_search_by_library_scope); BEGIN + the
    # institution's visibility model + the loans, in one joined query.
    assert counts[3][0] <= 8, counts
