"""A patron request through its whole life on the staff API (SQLite and PostgreSQL)."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest
from sqlalchemy import select

from institution_node.store.models import Item, Notification, Request
from tests.conftest import NodeFactory
from tests.support.builders import api_key, staff, two_library_institution
from tests.support.nodes import GraphQLErrors, NodeHarness
from tests.support.request_queries import (
    CANCEL_REQUEST,
    MONITOR,
    PATRON_REQUESTS,
    PICK_FROM_SHELF,
    PICK_SLIP,
    PLACE_REQUEST,
    REQUEST,
    SCAN_IN,
)
from tests.support.statements import count_statements


async def _tokens(node: NodeHarness) -> dict[str, str]:
    return {who: await node.token(api_key(f"unia-{who}")) for who in ("admin", "main-op", "law-op")}


async def place(node: NodeHarness, token: str, **input_: Any) -> dict[str, Any]:
    data = await node.gql(PLACE_REQUEST, {"input": input_}, token=token)
    result: dict[str, Any] = data["placeRequest"]
    return result


async def scan(node: NodeHarness, token: str, barcode: str, desk: str) -> dict[str, Any]:
    data = await node.gql(SCAN_IN, {"barcode": barcode, "desk": desk}, token=token)
    result: dict[str, Any] = data["scanIn"]
    return result


async def item_state(node: NodeHarness, barcode: str) -> tuple[str, int | None]:
    async with node.runtime.sessions() as s:
        item = await s.scalar(select(Item).where(Item.barcode == barcode))
        assert item is not None
        return item.status, item.transit_to_library_id


async def letters(node: NodeHarness) -> list[tuple[str, str | None]]:
    """(letter, reply-to) of every notification, oldest first."""
    async with node.runtime.sessions() as s:
        rows = await s.execute(select(Notification.letter, Notification.reply_to))
        return [(r.letter, r.reply_to) for r in rows]


async def test_item_travels_from_owner_to_pickup_hold_shelf(
    node_factory: NodeFactory, db_url: str
) -> None:
    node = await node_factory(two_library_institution(), db_url=db_url)
    t = await _tokens(node)
    req = await place(
        node, t["admin"], patronPrimaryId="P1", barcode="M-1", pickupLibraryCode="LAW"
    )
    assert (req["status"], req["owningLibraryCode"], req["managingLibraryCode"]) == (
        "PICK_FROM_SHELF",
        "MAIN",
        "MAIN",
    )

    tasks = (await node.gql(PICK_FROM_SHELF, {"lib": "MAIN"}, token=t["main-op"]))["pickFromShelf"]
    assert [(x["itemBarcode"], x["pickupLibraryCode"]) for x in tasks] == [("M-1", "LAW")]
    slip = (await node.gql(PICK_SLIP, {"id": req["id"]}, token=t["main-op"]))["pickSlip"]
    assert "M-1" in slip
    assert "Law Library" in slip

    moved = await scan(node, t["main-op"], "M-1", "MAIN-DESK")
    assert (moved["nextStep"], moved["destinationLibraryCode"]) == ("TRANSIT", "LAW")
    assert moved["request"]["status"] == "IN_TRANSIT"
    assert moved["request"]["managingLibraryCode"] == "MAIN"
    assert (await node.gql(PICK_FROM_SHELF, {"lib": "MAIN"}, token=t["main-op"]))[
        "pickFromShelf"
    ] == []

    arrived = await scan(node, t["law-op"], "M-1", "LAW-DESK")
    assert arrived["nextStep"] == "HOLD_SHELF"
    assert arrived["request"]["status"] == "ON_HOLD_SHELF"
    assert arrived["request"]["managingLibraryCode"] == "LAW"
    assert arrived["request"]["holdShelfExpiry"] is not None
    assert await item_state(node, "M-1") == ("ON_HOLD_SHELF", None)
    # On Hold Shelf is owned by the item's owner: MAIN's reply-to address.
    assert await letters(node) == [("On Hold Shelf", "main@lib.example.edu")]
    # Waiting on the hold shelf is still an active request (the patron's list, the monitor).
    active = {"patron": "P1", "closed": False}
    listed = (await node.gql(PATRON_REQUESTS, active, token=t["admin"]))["patronRequests"]
    assert [(r["id"], r["status"]) for r in listed] == [(req["id"], "ON_HOLD_SHELF")]
    closed = {"patron": "P1", "closed": True}
    assert (await node.gql(PATRON_REQUESTS, closed, token=t["admin"]))["patronRequests"] == []
    monitor = (await node.gql(MONITOR, {"first": 50}, token=t["admin"]))["requestsMonitor"]
    assert [(r["id"], r["status"]) for r in monitor["nodes"]] == [(req["id"], "ON_HOLD_SHELF")]


async def test_title_request_prefers_a_copy_at_the_pickup_library(
    node_factory: NodeFactory,
) -> None:
    node = await node_factory(two_library_institution())
    t = await _tokens(node)
    req = await place(
        node, t["admin"], patronPrimaryId="P1", recordId="rec-1", pickupLibraryCode="LAW"
    )
    assert (req["level"], req["itemBarcode"]) == ("TITLE", "L-1")
    shelved = await scan(node, t["law-op"], "L-1", "LAW-DESK")
    assert shelved["nextStep"] == "HOLD_SHELF"


async def test_placing_refuses_what_the_rules_forbid(node_factory: NodeFactory) -> None:
    data = two_library_institution()
    data["libraries"][1]["desks"][0]["pickup_point"] = False
    data["users"].append(
        {"primary_id": "P3", "kind": "PATRON", "patron_roles": [{"library": "LAW"}]}
    )
    node = await node_factory(data)
    t = await _tokens(node)
    cases = [
        ({"patronPrimaryId": "P1", "barcode": "M-1", "pickupLibraryCode": "LAW"}, "PICKUP"),
        ({"patronPrimaryId": "P1", "barcode": "L-2", "pickupLibraryCode": "MAIN"}, "NOT_REQ"),
        ({"patronPrimaryId": "P3", "barcode": "M-1", "pickupLibraryCode": "MAIN"}, "NOT_REQ"),
        ({"patronPrimaryId": "nobody", "barcode": "M-1", "pickupLibraryCode": "MAIN"}, "NOT_F"),
        ({"patronPrimaryId": "P1", "recordId": "none", "pickupLibraryCode": "MAIN"}, "NOT_F"),
    ]
    for input_, code in cases:
        with pytest.raises(GraphQLErrors) as caught:
            await place(node, t["admin"], **input_)
        assert caught.value.codes[0].startswith(code), (input_, caught.value.codes)
    await place(node, t["admin"], patronPrimaryId="P1", barcode="M-1", pickupLibraryCode="MAIN")
    with pytest.raises(GraphQLErrors) as caught:
        await place(node, t["admin"], patronPrimaryId="P1", barcode="M-2", pickupLibraryCode="MAIN")
    assert caught.value.codes == ["CONFLICT"]


@pytest.mark.parametrize(
    "role", ["USER_MANAGER", "USER_ADMINISTRATOR", "FULFILLMENT_ADMINISTRATOR"]
)
async def test_only_requesting_roles_place_requests(node_factory: NodeFactory, role: str) -> None:
    data = two_library_institution()
    data["users"].append(staff("unia-other", role=role, libraries=None))
    node = await node_factory(data)
    other = await node.token(api_key("unia-other"))
    with pytest.raises(GraphQLErrors) as caught:
        await place(node, other, patronPrimaryId="P1", barcode="M-1", pickupLibraryCode="MAIN")
    assert caught.value.codes == ["FORBIDDEN"]
    async with node.runtime.sessions() as s:
        assert (await s.scalars(select(Request.id))).all() == []
    # A requests operator may.
    desk_op = await node.token(api_key("unia-main-op"))  # circulation desk operator
    placed = await place(
        node, desk_op, patronPrimaryId="P1", barcode="M-1", pickupLibraryCode="MAIN"
    )
    assert placed["status"] == "PICK_FROM_SHELF"


async def test_cancel_in_transit_sends_item_home_and_tells_the_patron(
    node_factory: NodeFactory, db_url: str
) -> None:
    node = await node_factory(two_library_institution(), db_url=db_url)
    t = await _tokens(node)
    req = await place(
        node, t["admin"], patronPrimaryId="P1", barcode="M-1", pickupLibraryCode="LAW"
    )
    await scan(node, t["main-op"], "M-1", "MAIN-DESK")
    cancelled = (
        await node.gql(
            CANCEL_REQUEST, {"id": req["id"], "reason": "Patron moved"}, token=t["law-op"]
        )
    )["cancelRequest"]
    assert (cancelled["status"], cancelled["cancelReason"], cancelled["cancelledBy"]) == (
        "CANCELLED",
        "Patron moved",
        "STAFF",
    )
    status, heading_to = await item_state(node, "M-1")
    async with node.runtime.sessions() as s:
        transit = (await s.scalars(select(Request).where(Request.kind == "TRANSIT"))).one()
        main_id = transit.item_library_id
    assert (status, heading_to) == ("IN_TRANSIT", main_id)
    assert await letters(node) == [("Cancel Request", "main@lib.example.edu")]

    # Scanned at LAW on the way: still going home to MAIN; at MAIN: back on the shelf.
    on_way = await scan(node, t["law-op"], "M-1", "LAW-DESK")
    assert (on_way["nextStep"], on_way["destinationLibraryCode"]) == ("TRANSIT", "MAIN")
    home = await scan(node, t["main-op"], "M-1", "MAIN-DESK")
    assert home["nextStep"] == "RESHELVE"
    assert await item_state(node, "M-1") == ("ON_SHELF", None)
    # The transit home arrived: completed, not cancelled (nobody cancelled it).
    arrived = (await node.gql(REQUEST, {"id": str(transit.id)}, token=t["admin"]))["request"]
    assert (arrived["kind"], arrived["status"], arrived["cancelReason"]) == (
        "TRANSIT",
        "COMPLETED",
        None,
    )


async def test_illegal_transitions_are_refused_and_change_nothing(
    node_factory: NodeFactory,
) -> None:
    node = await node_factory(two_library_institution())
    t = await _tokens(node)
    req = await place(
        node, t["admin"], patronPrimaryId="P1", barcode="M-1", pickupLibraryCode="MAIN"
    )
    await node.gql(CANCEL_REQUEST, {"id": req["id"], "reason": "first"}, token=t["admin"])
    before = (await node.gql(REQUEST, {"id": req["id"]}, token=t["admin"]))["request"]
    with pytest.raises(GraphQLErrors) as caught:
        await node.gql(CANCEL_REQUEST, {"id": req["id"], "reason": "again"}, token=t["admin"])
    assert caught.value.codes == ["ILLEGAL_TRANSITION"]
    assert "cancelled" in caught.value.errors[0]["message"]
    after = (await node.gql(REQUEST, {"id": req["id"]}, token=t["admin"]))["request"]
    assert after == before
    assert before["allowedActions"] == []


async def test_two_operators_cancelling_at_once_cannot_both_win(
    node_factory: NodeFactory, db_url: str
) -> None:
    node = await node_factory(two_library_institution(), db_url=db_url)
    t = await _tokens(node)
    req = await place(
        node, t["admin"], patronPrimaryId="P1", barcode="M-1", pickupLibraryCode="LAW"
    )
    answers = await asyncio.gather(
        *(
            node.gql_raw(CANCEL_REQUEST, {"id": req["id"], "reason": who}, token=t[who])
            for who in ("admin", "main-op", "law-op")
        )
    )
    wins = [a for a in answers if not a.get("errors")]
    losses = [a["errors"][0]["extensions"]["code"] for a in answers if a.get("errors")]
    assert len(wins) == 1
    assert losses == ["ILLEGAL_TRANSITION", "ILLEGAL_TRANSITION"]
    assert len(await letters(node)) == 1
    async with node.runtime.sessions() as s:
        row = await s.get(Request, int(req["id"]))
        assert row is not None
        assert row.cancel_reason == wins[0]["data"]["cancelRequest"]["cancelReason"]


CANCEL_MINE = "mutation($id: ID!) { cancelMyRequest(id: $id) { status cancelledBy } }"


async def test_patron_cancels_only_their_own_request(node_factory: NodeFactory) -> None:
    node = await node_factory(two_library_institution())
    t = await _tokens(node)
    mine = await place(
        node, t["admin"], patronPrimaryId="P1", barcode="M-1", pickupLibraryCode="LAW"
    )
    theirs = await place(
        node, t["admin"], patronPrimaryId="P2", barcode="M-2", pickupLibraryCode="LAW"
    )
    discovery = await node.token(api_key("unia-discovery"))
    response = await node.client.post(
        "/auth/patron-token",
        json={"primary_id": "P1"},
        headers={"authorization": f"Bearer {discovery}"},
    )
    p1 = response.json()["access_token"]
    with pytest.raises(GraphQLErrors) as caught:
        await node.gql(CANCEL_MINE, {"id": theirs["id"]}, token=p1)
    assert caught.value.codes == ["NOT_FOUND"]
    with pytest.raises(GraphQLErrors) as caught:
        await node.gql(CANCEL_MINE, {"id": mine["id"]}, token=t["admin"])
    assert caught.value.codes == ["FORBIDDEN"]
    done = (await node.gql(CANCEL_MINE, {"id": mine["id"]}, token=p1))["cancelMyRequest"]
    assert done == {"status": "CANCELLED", "cancelledBy": "PATRON"}
    assert await letters(node) == []  # the patron did it: no Cancel Request letter


async def test_monitor_costs_the_same_statements_for_one_or_many_requests(
    node_factory: NodeFactory,
) -> None:
    data = two_library_institution()
    node = await node_factory(data)
    t = await _tokens(node)
    await place(node, t["admin"], patronPrimaryId="P1", barcode="M-1", pickupLibraryCode="LAW")
    with count_statements(node.runtime.engine) as one:
        await node.gql(MONITOR, {"first": 50}, token=t["main-op"])
    await place(node, t["admin"], patronPrimaryId="P2", barcode="M-2", pickupLibraryCode="LAW")
    await place(node, t["admin"], patronPrimaryId="P1", recordId="rec-2", pickupLibraryCode="MAIN")
    with count_statements(node.runtime.engine) as three:
        page = (await node.gql(MONITOR, {"first": 50}, token=t["main-op"]))["requestsMonitor"]
    assert page["totalCount"] == 3
    assert len(three) == len(one)


CREATE_WORK_ORDER_Q = """
mutation($b: String!) { createWorkOrder(barcode: $b, note: "rebind") { id kind status } }
"""


async def test_work_order_is_opened_by_the_owner_and_done_at_scan_in(
    node_factory: NodeFactory,
) -> None:
    node = await node_factory(two_library_institution(fulfillment_independence_model="FULL"))
    t = await _tokens(node)
    with pytest.raises(GraphQLErrors) as caught:
        await node.gql(CREATE_WORK_ORDER_Q, {"b": "M-2"}, token=t["law-op"])
    assert caught.value.codes == ["FORBIDDEN"]
    order = (await node.gql(CREATE_WORK_ORDER_Q, {"b": "M-2"}, token=t["main-op"]))[
        "createWorkOrder"
    ]
    assert (order["kind"], order["status"]) == ("WORK_ORDER", "IN_PROCESS")
    # Non-patron requests are not restricted, even under FULL: LAW sees MAIN's work order.
    seen = (await node.gql(MONITOR, {"first": 10}, token=t["law-op"]))["requestsMonitor"]
    assert [n["id"] for n in seen["nodes"]] == [order["id"]]
    done = await scan(node, t["main-op"], "M-2", "MAIN-DESK")
    assert done["nextStep"] == "RESHELVE"
    after = (await node.gql(REQUEST, {"id": order["id"]}, token=t["main-op"]))["request"]
    assert after["status"] == "COMPLETED"


async def test_two_placements_at_once_never_choose_the_same_copy(
    node_factory: NodeFactory, db_url: str
) -> None:
    node = await node_factory(two_library_institution(), db_url=db_url)
    t = await _tokens(node)
    answers = await asyncio.gather(
        *(
            place(node, t["admin"], patronPrimaryId=p, recordId="rec-2", pickupLibraryCode="MAIN")
            for p in ("P1", "P2")
        )
    )
    # rec-2 has one loanable copy (M-3): one request picks it, the other waits.
    assert sorted((a["status"], a["itemBarcode"]) for a in answers) == [
        ("PICK_FROM_SHELF", "M-3"),
        ("PLACED", None),
    ]


@pytest.mark.parametrize("after", ["99999999999999999999", "-99999999999", "x"])
async def test_monitor_cursor_out_of_range_is_invalid_input(
    node_factory: NodeFactory, db_url: str, after: str
) -> None:
    node = await node_factory(two_library_institution(), db_url=db_url)
    admin = await node.token(api_key("unia-admin"))
    with pytest.raises(GraphQLErrors) as err:
        await node.gql(MONITOR, {"first": 5, "after": after}, token=admin)
    assert err.value.codes == ["INVALID_INPUT"]
    with pytest.raises(GraphQLErrors) as err:
        await node.gql(REQUEST, {"id": "99999999999999999999"}, token=admin)
    assert err.value.codes == ["NOT_FOUND"]


async def test_concurrent_placements_for_one_patron_and_title_make_one_request(
    node_factory: NodeFactory, db_url: str
) -> None:
    node = await node_factory(two_library_institution(), db_url=db_url)
    admin = await node.token(api_key("unia-admin"))
    variables = {
        "input": {"patronPrimaryId": "P1", "recordId": "rec-1", "pickupLibraryCode": "MAIN"}
    }
    answers = await asyncio.gather(
        *[node.gql_raw(PLACE_REQUEST, variables, token=admin) for _ in range(6)]
    )
    placed = [a for a in answers if not a.get("errors")]
    assert len(placed) == 1
    assert {a["errors"][0]["extensions"]["code"] for a in answers if a.get("errors")} == {
        "CONFLICT"
    }
    async with node.runtime.sessions() as session:
        assert len((await session.scalars(select(Request))).all()) == 1
