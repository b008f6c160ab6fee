"""The hub's linked-account index: full sync from members, coping with deleted accounts.
The hub database runs on SQLite and on PostgreSQL (``db_url``)."""

from __future__ import annotations

from tests.network.conftest import NetworkFactory
from tests.network.test_network_activity import ACTIVITY, admin_token, holder, home_unia
from tests.support.network_data import linked_patron
from tests.support.waiting import until


async def test_sync_then_a_deleted_account_is_dropped_and_no_longer_called(
    network_factory: NetworkFactory, db_url: str
) -> None:
    unib = holder("UNIB", 1)
    unib["users"].append(linked_patron("UNIA", "L2"))  # a linked account without activity
    net = await network_factory(
        [home_unia(), unib, holder("UNIC", 2)], hub_settings={"database_url": db_url}
    )
    assert await net.sync_index() == {"UNIA": 0, "UNIB": 2, "UNIC": 2}
    token = await admin_token(net)

    net.reset_calls()
    data = (await net.hub_gql(ACTIVITY, {"patronId": "L2"}, token=token))["networkActivity"]
    assert [i["code"] for i in data["institutions"]] == ["UNIC"]
    assert (net.nodes["UNIB"].network_calls, net.nodes["UNIC"].network_calls) == (1, 1)

    # UNIB's staff delete the account: UNIB answers found=false once, then is not asked again.
    await net.delete_linked_account("UNIB", "UNIA:L2")
    for expected_calls in (1, 0):
        net.reset_calls()
        data = (await net.hub_gql(ACTIVITY, {"patronId": "L2"}, token=token))["networkActivity"]
        assert data["unavailable"] == []
        assert data["loanCount"] == 1
        assert net.nodes["UNIB"].network_calls == expected_calls
    # The next full sync agrees.
    assert await net.sync_index() == {"UNIA": 0, "UNIB": 1, "UNIC": 2}


async def test_a_member_down_during_sync_keeps_its_rows(network_factory: NetworkFactory) -> None:
    net = await network_factory([home_unia(), holder("UNIB", 1), holder("UNIC", 1)])
    await net.nodes["UNIC"].stop()
    assert await net.sync_index() == {"UNIA": 0, "UNIB": 1, "UNIC": None}
    token = await admin_token(net)
    data = (await net.hub_gql(ACTIVITY, {"patronId": "L1"}, token=token))["networkActivity"]
    assert [u["institutionCode"] for u in data["unavailable"]] == ["UNIC"]
    assert [i["code"] for i in data["institutions"]] == ["UNIB"]


async def test_the_hub_syncs_its_index_by_itself_at_start(network_factory: NetworkFactory) -> None:
    net = await network_factory(
        [home_unia(), holder("UNIB", 1)],
        hub_settings={"sync_index_on_start": True},
        sync_index=False,
    )
    token = await admin_token(net)

    async def loans() -> int:
        data = (await net.hub_gql(ACTIVITY, {"patronId": "L1"}, token=token))["networkActivity"]
        return int(data["loanCount"])

    # The start-up sync asks each member once, each call bounded by the member timeout.
    settings = net.hub_runtime.settings
    budget = settings.member_timeout_seconds * (len(net.nodes) + 1) * 4
    assert await until(loans, within=budget, what="the start-up index sync") == 1
