"""A desk loans a copy that another patron's request chose for picking: the request is not
lost — a title-level request takes another free copy, an item-level one waits for it."""

from __future__ import annotations

from tests.conftest import NodeFactory
from tests.support.builders import api_key, two_library_institution
from tests.support.circ_queries import LOAN, RETURN
from tests.support.request_queries import PLACE_REQUEST, REQUEST


async def _place(node, token: str, patron: str, **what: str) -> str:  # type: ignore[no-untyped-def]
    placed = await node.gql(
        PLACE_REQUEST,
        {"input": {"patronPrimaryId": patron, "pickupLibraryCode": "MAIN", **what}},
        token=token,
    )
    return str(placed["placeRequest"]["id"])


async def test_title_request_moves_to_another_copy_then_waits(node_factory: NodeFactory) -> None:
    node = await node_factory(two_library_institution())
    admin = await node.token(api_key("unia-admin"))
    request_id = await _place(node, admin, "P1", recordId="rec-1")

    async def state() -> tuple[str, str | None]:
        r = (await node.gql(REQUEST, {"id": request_id}, token=admin))["request"]
        return r["status"], r["itemBarcode"]

    assert await state() == ("PICK_FROM_SHELF", "M-1")
    for barcode, expected in (
        ("M-1", ("PICK_FROM_SHELF", "M-2")),
        ("M-2", ("PICK_FROM_SHELF", "L-1")),
        ("L-1", ("PLACED", None)),
    ):
        await node.gql(LOAN, {"desk": "MAIN-DESK", "patron": "P2", "barcode": barcode}, token=admin)
        assert await state() == expected

    back = (await node.gql(RETURN, {"desk": "MAIN-DESK", "barcode": "M-1"}, token=admin))["return"]
    assert back["nextStep"] == "HOLD_SHELF"
    assert (await state())[0] == "ON_HOLD_SHELF"


async def test_item_request_waits_for_its_copy(node_factory: NodeFactory) -> None:
    node = await node_factory(two_library_institution())
    admin = await node.token(api_key("unia-admin"))
    request_id = await _place(node, admin, "P1", barcode="M-3")
    await node.gql(LOAN, {"desk": "MAIN-DESK", "patron": "P2", "barcode": "M-3"}, token=admin)
    waiting = (await node.gql(REQUEST, {"id": request_id}, token=admin))["request"]
    assert (waiting["status"], waiting["itemBarcode"]) == ("PLACED", "M-3")

    back = (await node.gql(RETURN, {"desk": "MAIN-DESK", "barcode": "M-3"}, token=admin))["return"]
    assert back["nextStep"] == "HOLD_SHELF"
    held = (await node.gql(REQUEST, {"id": request_id}, token=admin))["request"]
    assert held["status"] == "ON_HOLD_SHELF"
