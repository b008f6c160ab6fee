"""Money in currencies whose minor unit is not a hundredth (ISO 4217 exponents 0 and 3):
stored in the right minor units, shown and paid exactly; currency codes are three letters."""

from __future__ import annotations

import json

import pytest
from sqlalchemy import select

from institution_node.loader.load import LoadError, load
from institution_node.store.migrate import upgrade
from institution_node.store.models import Fee, Institution
from network_common.db import make_engine, make_sessionmaker
from tests.conftest import NodeFactory
from tests.support.builders import api_key, two_library_institution
from tests.support.circ_queries import CREATE_FEE, PAY_FEE, USER_RECORD
from tests.support.nodes import GraphQLErrors


@pytest.mark.parametrize(
    ("currency", "amount", "minor", "payment", "balance", "too_fine"),
    [
        ("JPY", "1500", 1500, "500", "1000", "1.5"),
        ("KWD", "1.234", 1234, "0.234", "1.000", "1.2345"),
        ("USD", "12.34", 1234, "0.34", "12.00", "1.234"),
    ],
)
async def test_fees_are_stored_in_the_currencys_own_minor_units(
    node_factory: NodeFactory,
    db_url: str,
    currency: str,
    amount: str,
    minor: int,
    payment: str,
    balance: str,
    too_fine: str,
) -> None:
    node = await node_factory(two_library_institution(currency=currency), db_url=db_url)
    op = await node.token(api_key("unia-main-op"))
    variables = {"patron": "P1", "type": "OTHER", "amount": amount, "owner": "MAIN"}
    fee = (await node.gql(CREATE_FEE, variables, token=op))["createFee"]
    assert (fee["originalAmount"], fee["balance"]) == (amount, amount)
    async with node.runtime.sessions() as session:
        stored = (await session.execute(select(Fee.original_minor, Fee.currency))).one()
    assert tuple(stored) == (minor, currency)
    pay = {"id": fee["id"], "amount": payment, "desk": "MAIN-DESK"}
    assert (await node.gql(PAY_FEE, pay, token=op))["payFee"]["balance"] == balance
    record = (await node.gql(USER_RECORD, {"id": "P1"}, token=op))["user"]
    assert record["feeBalance"] == {"amount": balance, "currency": currency}
    # More decimals than the currency has: refused, nothing stored.
    variables["amount"] = too_fine
    with pytest.raises(GraphQLErrors) as caught:
        await node.gql(CREATE_FEE, variables, token=op)
    assert caught.value.codes == ["INVALID_AMOUNT"]


@pytest.mark.parametrize("code", ["US", "usd", "EURO", "U1D", ""])
async def test_an_institution_currency_must_be_three_letters(sqlite_url: str, code: str) -> None:
    data = two_library_institution(currency=code)
    engine = make_engine(sqlite_url)
    try:
        await upgrade(engine)
        async with make_sessionmaker(engine)() as session:
            with pytest.raises(LoadError) as caught:
                await load(session, json.dumps(data))
        async with make_sessionmaker(engine)() as session:
            assert (await session.scalars(select(Institution))).all() == []
    finally:
        await engine.dispose()
    assert any("currency" in p for p in caught.value.problems), caught.value.problems
