"""Privacy ledger edges on networks of their own: walk-in lookups sent at once by one operator
(the rate limit holds), and a member that does not answer Network Activity (nothing crossed)."""

from __future__ import annotations

import asyncio

import pytest

from tests.network.conftest import NetworkFactory
from tests.network.test_network_activity import ACTIVITY, holder, home_unia
from tests.network.test_privacy_ledger import LEDGER
from tests.support.builders import api_key, two_library_institution
from tests.support.fulfilment_queries import HUB_WALK_IN

pytestmark = pytest.mark.network


async def test_concurrent_lookups_never_pass_the_limit(
    network_factory: NetworkFactory, db_url: str
) -> None:
    """Counted after each lookup is written, in the hub's database (SQLite and PostgreSQL):
    lookups sent at once may be refused too often, never let through beyond the limit."""
    home = two_library_institution("UNIA")
    net = await network_factory(
        [home, two_library_institution("UNIB")],
        hub_settings={"walk_in_lookups_per_window": 3, "database_url": db_url},
    )
    desk = await net.staff_token("UNIB", api_key("unib-admin"))
    net.reset_calls()
    outcomes = await asyncio.gather(
        *(
            net.hub_gql_raw(
                HUB_WALK_IN, {"home": "UNIA", "user": f"NU-{n}", "key": f"k-{n}"}, token=desk
            )
            for n in range(12)
        )
    )
    codes = sorted(o["errors"][0]["extensions"]["code"] for o in outcomes)
    assert 1 <= codes.count("NOT_FOUND") <= 3
    assert codes.count("RATE_LIMITED") == 12 - codes.count("NOT_FOUND")
    assert net.nodes["UNIA"].network_calls == codes.count("NOT_FOUND")


async def test_a_member_that_sends_nothing_is_no_crossing(network_factory: NetworkFactory) -> None:
    net = await network_factory([home_unia(), holder("UNIB", 1), holder("UNIC", 1)])
    await net.nodes["UNIC"].stop()
    token = await net.staff_token("UNIA", api_key("unia-admin"))
    data = (await net.hub_gql(ACTIVITY, {"patronId": "L1"}, token=token))["networkActivity"]
    assert [u["institutionCode"] for u in data["unavailable"]] == ["UNIC"]
    rows = (await net.hub_gql(LEDGER, {"id": "L1"}, token=token))["privacyLedger"]
    seen = sorted((r["kind"], r["fromMember"], r["outcome"], tuple(r["fields"])) for r in rows)
    assert seen == [
        ("NETWORK_ACTIVITY", "UNIB", "MATCHED", ("loans", "requests", "fees")),
        ("NETWORK_ACTIVITY", "UNIC", "NO_MATCH", ()),
    ]
