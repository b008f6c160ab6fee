"""Network members become each other's resource sharing partners without retyping (issue
12): the hub sends every member the network file's list; real hub and nodes on loopback."""

from __future__ import annotations

import pytest

from network_hub.resource_sharing import documents
from network_hub.resource_sharing.partners_sync import member_list, sync_partners
from tests.network.conftest import NetworkFactory
from tests.support import rs_queries as q
from tests.support.builders import api_key
from tests.support.network import LiveNetwork
from tests.support.resource_sharing import rs_institution

pytestmark = pytest.mark.network

DIRECTORY = """
{ resourceSharingPartners { code name origin protocol authKind agencyType agencyValue
                            endpointUrl active } }
"""


async def _directory(net: LiveNetwork, code: str) -> list[dict[str, object]]:
    node = net.nodes[code]
    token = await node.token(api_key(f"{code.lower()}-rs-manager"))
    response = await node.http.post(
        f"{node.url}/graphql",
        json={"query": DIRECTORY},
        headers={"authorization": f"Bearer {token}"},
    )
    body = response.json()
    assert "errors" not in body, body
    partners: list[dict[str, object]] = body["data"]["resourceSharingPartners"]
    return partners


async def test_members_are_partners_of_each_other(network_factory: NetworkFactory) -> None:
    net = await network_factory([rs_institution(c) for c in ("UNIA", "UNIB", "UNIC")])
    reports = await sync_partners(runtime=net.hub_runtime)
    assert reports == {
        "UNIA": {"added": ["UNIB", "UNIC"], "updated": [], "deactivated": []},
        "UNIB": {"added": ["UNIA", "UNIC"], "updated": [], "deactivated": []},
        "UNIC": {"added": ["UNIA", "UNIB"], "updated": [], "deactivated": []},
    }
    listed = await _directory(net, "UNIA")
    assert listed == [
        {
            "code": code,
            "name": net.nodes[code].name,
            "origin": "NETWORK",
            "protocol": "ISO18626",
            "authKind": "NETWORK_TOKEN",
            "agencyType": "NETWORK",
            "agencyValue": code,
            "endpointUrl": f"{net.nodes[code].url}/iso18626",
            "active": True,
        }
        for code in ("UNIB", "UNIC")
    ]
    # Again: nothing to change.
    again = await sync_partners(runtime=net.hub_runtime)
    assert again["UNIA"] == {"added": [], "updated": [], "deactivated": []}
    # A member no longer listed is deactivated (its requests in flight keep it).
    without_c = [m for m in member_list(net.hub_runtime) if m["code"] != "UNIC"]
    client = net.hub_runtime.registry.get("UNIA")
    assert client is not None
    data = await client.query(documents.SYNC_PARTNERS, {"members": without_c})
    assert data["report"] == {"added": [], "updated": [], "deactivated": ["UNIC"]}
    active = {p["code"]: p["active"] for p in await _directory(net, "UNIA")}
    assert active == {"UNIB": True, "UNIC": False}
    # A synced member is asked like any partner: a borrowing request names it.
    node = net.nodes["UNIA"]
    token = await node.token(api_key("unia-rs-manager"))
    response = await node.http.post(
        f"{node.url}/graphql",
        json={
            "query": q.CREATE,
            "variables": {
                "input": {
                    "patronPrimaryId": "P1",
                    "pickupLibraryCode": "MAIN",
                    "title": "Asked of a member",
                    "partnerCodes": ["UNIB"],
                    "send": True,
                }
            },
        },
        headers={"authorization": f"Bearer {token}"},
    )
    made = response.json()["data"]["createBorrowingRequest"]
    assert (made["status"], made["partnerCode"]) == ("REQUEST_SENT", "UNIB")
