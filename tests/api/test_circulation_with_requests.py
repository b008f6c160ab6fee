"""Loans and returns meet the request queue: a returned item goes to the next request's
hold shelf, only its patron may borrow it, and that loan completes the request."""

from __future__ import annotations

import pytest

from tests.conftest import NodeFactory
from tests.support.builders import api_key, two_library_institution
from tests.support.circ_queries import LOAN, RETURN, USER_RECORD
from tests.support.nodes import GraphQLErrors
from tests.support.request_queries import PLACE_REQUEST, REQUEST


async def test_returned_item_goes_to_the_waiting_patron(node_factory: NodeFactory) -> None:
    node = await node_factory(two_library_institution())
    admin = await node.token(api_key("unia-admin"))
    await node.gql(LOAN, {"desk": "MAIN-DESK", "patron": "P1", "barcode": "M-3"}, token=admin)
    placed = await node.gql(
        PLACE_REQUEST,
        {"input": {"patronPrimaryId": "P2", "recordId": "rec-2", "pickupLibraryCode": "MAIN"}},
        token=admin,
    )
    request_id = placed["placeRequest"]["id"]

    back = (await node.gql(RETURN, {"desk": "MAIN-DESK", "barcode": "M-3"}, token=admin))["return"]
    assert back["nextStep"] == "HOLD_SHELF"
    with pytest.raises(GraphQLErrors) as err:
        await node.gql(LOAN, {"desk": "MAIN-DESK", "patron": "P1", "barcode": "M-3"}, token=admin)
    assert err.value.codes == ["ITEM_NOT_AVAILABLE"]

    await node.gql(LOAN, {"desk": "MAIN-DESK", "patron": "P2", "barcode": "M-3"}, token=admin)
    request = (await node.gql(REQUEST, {"id": request_id}, token=admin))["request"]
    assert request["status"] == "COMPLETED"
    letters = [
        n["letter"]
        for n in (await node.gql(USER_RECORD, {"id": "P2"}, token=admin))["user"]["notifications"]
    ]
    assert letters == ["On Hold Shelf", "Loan Receipt"]
