"""Walk-in lookups sent at once by one operator (issue 10, item 11): the rate limit holds."""

from __future__ import annotations

import asyncio

import pytest

from tests.network.conftest import NetworkFactory
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
