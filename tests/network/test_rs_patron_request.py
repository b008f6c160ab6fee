"""A patron asks for a resource sharing request at home through the hub (issue 12): real
nodes and a real hub on loopback. Home UNIA shows other members as availability only, so
Get It's resource sharing link leads to the hub's requestResourceSharing; the request
lands in UNIA's own borrowing list for its staff."""

from __future__ import annotations

from typing import Any

import pytest
from sqlalchemy import func, select

from institution_node.store.models import BorrowingRequest
from tests.network.conftest import NetworkFactory
from tests.network.test_getit import patron_token
from tests.support import rs_queries as q
from tests.support.builders import api_key, holding, record, two_library_institution
from tests.support.network import LiveNetwork
from tests.support.nodes import GraphQLErrors
from tests.support.resource_sharing import rs_institution

pytestmark = pytest.mark.network

ASK = """
mutation Ask($input: ResourceSharingRequestInput!, $key: String!) {
  requestResourceSharing(input: $input, idempotencyKey: $key) {
    institutionCode id status title pickupLibraryCode neededBy
  }
}
"""
WANTED = {
    "recordId": "rec-9",
    "title": "A Book Only Others Hold",
    "author": "Far Writer",
    "pickupLibraryCode": "LAW",
    "neededBy": "2031-03-01",
    "message": "chapter 3 is enough",
}


@pytest.fixture
async def net(network_factory: NetworkFactory) -> LiveNetwork:
    home = rs_institution("UNIA", network_availability_display="AVAILABILITY_ONLY")
    other = two_library_institution("UNIB")
    other["records"].append(record("only-b", title="Only At B", holdings=[holding("MAIN", "B-9")]))
    return await network_factory([home, other])


async def _codes(net: LiveNetwork, variables: dict[str, Any], token: str | None) -> list[str]:
    with pytest.raises(GraphQLErrors) as caught:
        await net.hub_gql(ASK, variables, token=token)
    return caught.value.codes


async def _count(net: LiveNetwork) -> int:
    async with net.nodes["UNIA"].runtime.sessions() as session:
        return int(await session.scalar(select(func.count(BorrowingRequest.id))) or 0)


async def test_a_patron_asks_home_for_resource_sharing(net: LiveNetwork) -> None:
    patron = await patron_token(net, "P1")
    made = (await net.hub_gql(ASK, {"input": WANTED, "key": "k-1"}, token=patron))[
        "requestResourceSharing"
    ]
    assert made == {
        "institutionCode": "UNIA",
        "id": made["id"],
        "status": "READY_TO_SEND",
        "title": "A Book Only Others Hold",
        "pickupLibraryCode": "LAW",
        "neededBy": "2031-03-01",
    }
    # The client lost the answer and asks again with the same key: the same request.
    again = (await net.hub_gql(ASK, {"input": WANTED, "key": "k-1"}, token=patron))[
        "requestResourceSharing"
    ]
    assert again == made
    assert await _count(net) == 1
    # The home's staff see it in their borrowing list, with the patron's words.
    node = net.nodes["UNIA"]
    staff = await node.token(api_key("unia-rs-manager"))
    response = await node.http.post(
        f"{node.url}/graphql",
        json={"query": q.BORROWING_LIST, "variables": {"filter": {"patronPrimaryId": "P1"}}},
        headers={"authorization": f"Bearer {staff}"},
    )
    page = response.json()["data"]["borrowingRequests"]
    assert [n["id"] for n in page["nodes"]] == [str(made["id"])]
    listed = page["nodes"][0]
    assert (listed["status"], listed["recordId"], listed["pickupLibraryCode"]) == (
        "READY_TO_SEND",
        "rec-9",
        "LAW",
    )
    assert listed["patronPrimaryId"] == "P1"
    assert listed["availableActions"][0] == "SEND"
    async with node.runtime.sessions() as session:
        words = await session.scalar(select(BorrowingRequest.patron_note))
    assert words == "chapter 3 is enough"
    assert page["facets"]["pickupLocation"] == [{"value": "LAW", "count": 1}]


async def test_from_get_it_the_record_id_is_enough(net: LiveNetwork) -> None:
    """Get It's link carries only the record id; the home does not hold the record, so the
    title comes from the member that does."""
    patron = await patron_token(net, "P1")
    variables = {"input": {"recordId": "only-b", "pickupLibraryCode": "MAIN"}, "key": "g"}
    made = (await net.hub_gql(ASK, variables, token=patron))["requestResourceSharing"]
    assert (made["status"], made["title"]) == ("READY_TO_SEND", "Only At B")


async def test_who_may_ask_and_what_is_refused(net: LiveNetwork) -> None:
    patron = await patron_token(net, "P1")
    # The same key for something else is a mismatch, not a second request.
    await net.hub_gql(ASK, {"input": WANTED, "key": "k-1"}, token=patron)
    changed = {**WANTED, "title": "Another Book"}
    assert await _codes(net, {"input": changed, "key": "k-1"}, patron) == ["IDEMPOTENCY_MISMATCH"]
    # Staff do not ask through the patron's mutation; nobody anonymous does.
    staff = await net.staff_token("UNIA", api_key("unia-rs-manager"))
    assert await _codes(net, {"input": WANTED, "key": "k-2"}, staff) == ["FORBIDDEN"]
    assert await _codes(net, {"input": WANTED, "key": "k-3"}, None) == ["UNAUTHENTICATED"]
    # The home refuses what it cannot make, with its own code.
    nowhere = {**WANTED, "pickupLibraryCode": "NOWHERE"}
    assert await _codes(net, {"input": nowhere, "key": "k-4"}, patron) == ["PICKUP_NOT_ALLOWED"]
    blank = {"pickupLibraryCode": "MAIN", "recordId": "unknown-record"}
    assert await _codes(net, {"input": blank, "key": "k-5"}, patron) == ["INVALID_INPUT"]
    too_long = {**WANTED, "title": "x" * 600}
    assert await _codes(net, {"input": too_long, "key": "k-6"}, patron) == ["INVALID_INPUT"]
    assert await _count(net) == 1


MINE = (
    "{ myResourceSharingRequests { institutionCode id status title pickupLibraryCode neededBy } }"
)


async def test_a_patron_reads_their_own_requests_and_nobody_elses(net: LiveNetwork) -> None:
    patron = await patron_token(net, "P1")
    assert (await net.hub_gql(MINE, {}, token=patron))["myResourceSharingRequests"] == []
    first = (await net.hub_gql(ASK, {"input": WANTED, "key": "m-1"}, token=patron))[
        "requestResourceSharing"
    ]
    later = {"recordId": "only-b", "pickupLibraryCode": "MAIN"}
    second = (await net.hub_gql(ASK, {"input": later, "key": "m-2"}, token=patron))[
        "requestResourceSharing"
    ]
    mine = (await net.hub_gql(MINE, {}, token=patron))["myResourceSharingRequests"]
    assert mine == [second, first]  # newest first, each as it was answered when made
    assert [r["title"] for r in mine] == ["Only At B", "A Book Only Others Hold"]
    # Staff moved the first on: the patron sees its status now.
    async with net.nodes["UNIA"].runtime.sessions() as session, session.begin():
        row = await session.get_one(BorrowingRequest, first["id"])
        row.status = "REQUEST_SENT"
    mine = (await net.hub_gql(MINE, {}, token=patron))["myResourceSharingRequests"]
    assert [r["status"] for r in mine] == ["READY_TO_SEND", "REQUEST_SENT"]
    # Another patron of the same home sees none of them; staff and nobody read none.
    other = await patron_token(net, "P2")
    assert (await net.hub_gql(MINE, {}, token=other))["myResourceSharingRequests"] == []
    staff = await net.staff_token("UNIA", api_key("unia-rs-manager"))
    for token, code in ((staff, "FORBIDDEN"), (None, "UNAUTHENTICATED")):
        with pytest.raises(GraphQLErrors) as caught:
            await net.hub_gql(MINE, {}, token=token)
        assert caught.value.codes == [code]
