"""A rota from live network availability (issue 12, "network rota"): the hub asks the other
members, at once, which hold an available copy of a network record, most copies first, so
resource sharing staff need not guess; the borrowing request then goes to the first.
Real hub and nodes over HTTP."""

from __future__ import annotations

from typing import Any

import pytest

from network_hub.resource_sharing.partners_sync import sync_partners
from tests.network.conftest import NetworkFactory
from tests.network.test_network_activity import admin_token
from tests.support import rs_queries as q
from tests.support.builders import api_key, holding, record, two_library_institution
from tests.support.network import LiveNetwork
from tests.support.nodes import GraphQLErrors
from tests.support.resource_sharing import rs_institution

pytestmark = pytest.mark.network

ROTA = """
query Rota($id: String!) {
  networkRota(recordId: $id) {
    recordId
    partners { institutionCode institutionName availableItems totalItems }
    unavailable { institutionCode code }
  }
}
"""


def _holder(code: str, copies: int) -> dict[str, Any]:
    data = two_library_institution(code)
    barcodes = [f"{code}-N{i}" for i in range(copies)]
    wanted = record("net-1", title="Wanted Everywhere", holdings=[holding("MAIN", *barcodes)])
    data["records"].append(wanted)
    return data


@pytest.fixture
async def net(network_factory: NetworkFactory) -> LiveNetwork:
    members = [rs_institution("UNIA"), _holder("UNIB", 1), _holder("UNIC", 2), _holder("UNID", 1)]
    network = await network_factory(members)
    await sync_partners(runtime=network.hub_runtime)  # the hub's partner-sync job
    return network


async def _rota(net: LiveNetwork, token: str, record_id: str) -> dict[str, Any]:
    found: dict[str, Any] = (await net.hub_gql(ROTA, {"id": record_id}, token=token))["networkRota"]
    return found


async def test_the_rota_follows_live_availability_and_the_request_goes_to_the_first(
    net: LiveNetwork,
) -> None:
    staff = await net.staff_token("UNIA", api_key("unia-rs-manager"))
    await net.nodes["UNID"].stop()
    rota = await _rota(net, staff, " net-1 ")
    assert rota["recordId"] == "net-1"
    assert [(p["institutionCode"], p["availableItems"]) for p in rota["partners"]] == [
        ("UNIC", 2),
        ("UNIB", 1),
    ]
    assert rota["unavailable"] == [{"institutionCode": "UNID", "code": "MEMBER_UNAVAILABLE"}]

    node = net.nodes["UNIA"]
    response = await node.http.post(
        f"{node.url}/graphql",
        json={
            "query": q.CREATE,
            "variables": {
                "input": {
                    "recordId": "net-1",
                    "title": "Wanted Everywhere",
                    "patronPrimaryId": "P1",
                    "pickupLibraryCode": "MAIN",
                    "partnerCodes": [p["institutionCode"] for p in rota["partners"]],
                    "send": True,
                }
            },
        },
        headers={"authorization": f"Bearer {staff}"},
    )
    made = response.json()["data"]["createBorrowingRequest"]
    assert (made["status"], made["partnerCode"]) == ("REQUEST_SENT", "UNIC")


async def test_a_copy_on_loan_is_not_available(net: LiveNetwork) -> None:
    """UNIB's only copy goes out on loan: UNIB drops out of the rota."""
    unib = net.nodes["UNIB"]
    desk = await net.staff_token("UNIB", api_key("unib-admin"))
    loan = 'mutation { loan(desk: "MAIN-DESK", patron: "P1", barcode: "UNIB-N0") { id } }'
    answer = await unib.http.post(
        f"{unib.url}/graphql", json={"query": loan}, headers={"authorization": f"Bearer {desk}"}
    )
    assert "errors" not in answer.json(), answer.json()
    staff = await net.staff_token("UNIA", api_key("unia-rs-manager"))
    rota = await _rota(net, staff, "net-1")
    assert [p["institutionCode"] for p in rota["partners"]] == ["UNIC", "UNID"]
    assert (await _rota(net, staff, "no-such-record"))["partners"] == []


async def test_only_resource_sharing_staff_ask(net: LiveNetwork) -> None:
    async def codes(token: str, record_id: str = "net-1") -> list[str]:
        with pytest.raises(GraphQLErrors) as caught:
            await net.hub_gql(ROTA, {"id": record_id}, token=token)
        return caught.value.codes

    desk_manager = await admin_token(net, "UNIB")  # circulation, no resource sharing role
    assert await codes(desk_manager) == ["FORBIDDEN"]
    staff = await net.staff_token("UNIA", api_key("unia-rs-manager"))
    assert await codes(staff, "") == ["INVALID_INPUT"]
    assert await codes(staff, "x" * 300) == ["INVALID_INPUT"]
