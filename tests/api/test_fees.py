"""Fees through the staff API: exact partial/full payments and waivers, refusals, visibility."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest
from sqlalchemy import select

from institution_node.store.models import Fee, FeeTransaction
from tests.conftest import NodeFactory
from tests.support.builders import api_key, two_library_institution
from tests.support.circ_queries import CREATE_FEE, PAY_FEE, USER_RECORD, WAIVE_FEE
from tests.support.nodes import GraphQLErrors, NodeHarness


async def _fee(node: NodeHarness, token: str, amount: str, owner: str | None) -> dict[str, Any]:
    variables = {"patron": "P1", "type": "OVERDUE", "amount": amount, "owner": owner}
    fee: dict[str, Any] = (await node.gql(CREATE_FEE, variables, token=token))["createFee"]
    return fee


async def test_partial_then_full_payment_closes_the_fee(
    node_factory: NodeFactory, db_url: str
) -> None:
    node = await node_factory(two_library_institution(), db_url=db_url)
    op = await node.token(api_key("unia-main-op"))
    fee = await _fee(node, op, "10.10", "MAIN")
    assert (fee["originalAmount"], fee["balance"], fee["status"]) == ("10.10", "10.10", "OPEN")

    paid = (
        await node.gql(PAY_FEE, {"id": fee["id"], "amount": "0.1", "desk": "MAIN-DESK"}, token=op)
    )["payFee"]
    assert (paid["balance"], paid["status"]) == ("10.00", "OPEN")
    waived = (await node.gql(WAIVE_FEE, {"id": fee["id"], "amount": "2.50"}, token=op))["waiveFee"]
    assert waived["balance"] == "7.50"
    done = (
        await node.gql(PAY_FEE, {"id": fee["id"], "amount": "7.50", "desk": "MAIN-DESK"}, token=op)
    )["payFee"]
    assert (done["balance"], done["status"]) == ("0.00", "CLOSED")
    assert [(t["kind"], t["amount"], t["deskCode"]) for t in done["transactions"]] == [
        ("PAYMENT", "0.10", "MAIN-DESK"),
        ("WAIVER", "2.50", None),
        ("PAYMENT", "7.50", "MAIN-DESK"),
    ]
    record = (await node.gql(USER_RECORD, {"id": "P1"}, token=op))["user"]
    assert record["feeBalance"] == {"amount": "0.00", "currency": "USD"}
    letters = [(n["letter"], n["ownerLibraryCode"]) for n in record["notifications"]]
    assert letters == [
        ("Fines/Fees Notification", "MAIN"),
        ("Fine Fee Payment Receipt", "MAIN"),
        ("Fine Fee Payment Receipt", "MAIN"),
    ]
    with pytest.raises(GraphQLErrors) as err:
        await node.gql(PAY_FEE, {"id": fee["id"], "amount": "1", "desk": "MAIN-DESK"}, token=op)
    assert err.value.codes == ["FEE_CLOSED"]


@pytest.mark.parametrize(
    ("amount", "code"),
    [
        ("-1", "INVALID_AMOUNT"),
        ("0", "INVALID_AMOUNT"),
        ("0.001", "INVALID_AMOUNT"),
        ("abc", "INVALID_AMOUNT"),
        ("NaN", "INVALID_AMOUNT"),
        ("5.01", "AMOUNT_EXCEEDS_BALANCE"),
    ],
)
async def test_bad_payments_change_nothing(
    node_factory: NodeFactory, amount: str, code: str
) -> None:
    node = await node_factory(two_library_institution())
    op = await node.token(api_key("unia-main-op"))
    fee = await _fee(node, op, "5.00", "MAIN")
    with pytest.raises(GraphQLErrors) as err:
        await node.gql(PAY_FEE, {"id": fee["id"], "amount": amount, "desk": "MAIN-DESK"}, token=op)
    assert err.value.codes == [code]
    with pytest.raises(GraphQLErrors) as err:
        await node.gql(WAIVE_FEE, {"id": fee["id"], "amount": amount}, token=op)
    assert err.value.codes == [code]
    async with node.runtime.sessions() as s:
        assert await s.scalar(select(Fee.balance_minor)) == 500
        assert await s.scalar(select(FeeTransaction.id)) is None


async def test_create_fee_refusals(node_factory: NodeFactory) -> None:
    node = await node_factory(two_library_institution(fulfillment_independence_model="FULL"))
    op = await node.token(api_key("unia-main-op"))
    cases = [
        ({"amount": "-3"}, "INVALID_AMOUNT"),
        ({"type": "PARKING"}, "GRAPHQL_VALIDATION_FAILED"),  # not a FeeType value
        ({"owner": "LAW"}, "NOT_FOUND"),  # outside the operator's scope
        ({"patron": "NOBODY"}, "NOT_FOUND"),
    ]
    for change, code in cases:
        variables = {"patron": "P1", "type": "OTHER", "amount": "1.00", "owner": "MAIN", **change}
        with pytest.raises(GraphQLErrors) as err:
            await node.gql(CREATE_FEE, variables, token=op)
        assert err.value.codes == [code], change


async def test_full_model_balance_counts_only_visible_fees(node_factory: NodeFactory) -> None:
    node = await node_factory(two_library_institution(fulfillment_independence_model="FULL"))
    admin = await node.token(api_key("unia-admin"))
    main = await node.token(api_key("unia-main-op"))
    law_fee = await _fee(node, admin, "4.00", "LAW")
    await _fee(node, admin, "1.25", "MAIN")
    await _fee(node, admin, "0.50", None)

    seen = (await node.gql(USER_RECORD, {"id": "P1"}, token=main))["user"]
    assert sorted(f["ownerLibraryCode"] or "-" for f in seen["fees"]) == ["-", "MAIN"]
    assert seen["feeBalance"]["amount"] == "1.75"
    assert {n["ownerLibraryCode"] for n in seen["notifications"]} == {"MAIN", None}
    everything = (await node.gql(USER_RECORD, {"id": "P1"}, token=admin))["user"]
    assert everything["feeBalance"]["amount"] == "5.75"

    # Hidden fee: paying or waiving it answers exactly like a missing one.
    for fee_id in (law_fee["id"], "987654"):
        with pytest.raises(GraphQLErrors) as err:
            await node.gql(PAY_FEE, {"id": fee_id, "amount": "1", "desk": "MAIN-DESK"}, token=main)
        assert err.value.codes == ["NOT_FOUND"]
        assert "LAW" not in err.value.errors[0]["message"]
        with pytest.raises(GraphQLErrors) as err:
            await node.gql(WAIVE_FEE, {"id": fee_id}, token=main)
        assert err.value.codes == ["NOT_FOUND"]


async def test_full_waiver_takes_the_whole_balance(node_factory: NodeFactory) -> None:
    node = await node_factory(two_library_institution())
    admin = await node.token(api_key("unia-admin"))
    fee = await _fee(node, admin, "3.33", None)
    waived = (await node.gql(WAIVE_FEE, {"id": fee["id"], "reason": "goodwill"}, token=admin))[
        "waiveFee"
    ]
    assert (waived["balance"], waived["status"]) == ("0.00", "CLOSED")
    assert waived["transactions"] == [
        {"kind": "WAIVER", "amount": "3.33", "deskCode": None, "note": "goodwill"}
    ]


async def test_two_payments_at_once_never_overdraw(node_factory: NodeFactory, db_url: str) -> None:
    node = await node_factory(two_library_institution(), db_url=db_url)
    main = await node.token(api_key("unia-main-op"))
    admin = await node.token(api_key("unia-admin"))
    fee = await _fee(node, admin, "5.00", "MAIN")

    async def pay(token: str) -> str:
        variables = {"id": fee["id"], "amount": "3.00", "desk": "MAIN-DESK"}
        try:
            await node.gql(PAY_FEE, variables, token=token)
        except GraphQLErrors as exc:
            return exc.codes[0]
        return "OK"

    outcomes = sorted(await asyncio.gather(pay(main), pay(admin)))
    assert outcomes == ["AMOUNT_EXCEEDS_BALANCE", "OK"]
    async with node.runtime.sessions() as s:
        assert await s.scalar(select(Fee.balance_minor)) == 200


@pytest.mark.parametrize("amount", ["1e30", "99999999999999999999", "30000000"])
async def test_huge_fee_amounts_are_refused_not_internal(
    node_factory: NodeFactory, db_url: str, amount: str
) -> None:
    node = await node_factory(two_library_institution(), db_url=db_url)
    op = await node.token(api_key("unia-main-op"))
    with pytest.raises(GraphQLErrors) as err:
        await _fee(node, op, amount, "MAIN")
    assert err.value.codes == ["INVALID_AMOUNT"]
    async with node.runtime.sessions() as session:
        assert (await session.scalars(select(Fee))).all() == []


@pytest.mark.parametrize("fee_id", ["99999999999999999999", "2147483648", "-9999999999"])
async def test_fee_ids_out_of_range_are_not_found(
    node_factory: NodeFactory, db_url: str, fee_id: str
) -> None:
    node = await node_factory(two_library_institution(), db_url=db_url)
    op = await node.token(api_key("unia-main-op"))
    with pytest.raises(GraphQLErrors) as err:
        await node.gql(PAY_FEE, {"id": fee_id, "amount": "1", "desk": "MAIN-DESK"}, token=op)
    assert err.value.codes == ["NOT_FOUND"]
    with pytest.raises(GraphQLErrors) as err:
        await node.gql(WAIVE_FEE, {"id": fee_id}, token=op)
    assert err.value.codes == ["NOT_FOUND"]
