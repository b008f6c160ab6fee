"""The broker's later word on what it had us borrow (AcceptItem): CheckInItem of the borrowed
item and DeleteItem of our temporary item close the borrowing request once the item has gone
back to the lender, answer the same when said again, and are refused (nothing changes) while
the item is still here. A DeleteItem of a copy of our own collection is Unknown Item, the
answer for an item nobody has; a CheckInItem of our own copy is still the lending side's."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select

from institution_node.services.resource_sharing import borrowing_desk, borrowing_loans
from institution_node.services.resource_sharing.common import Actor
from institution_node.store.models import BorrowingRequest, History
from tests.conftest import NodeFactory
from tests.support import ncip
from tests.support.resource_sharing import rs_institution, staff_principal


def delete_item(item: str, **kw: Any) -> bytes:
    return ncip.message("DeleteItem", ncip.item_xml(item), **kw)


async def _accepted(node: Any, secret: str, request_id: str) -> tuple[int, str]:
    """A broker's AcceptItem: the borrowing request's id and our temporary barcode."""
    answer = await ncip.post(node.client, ncip.accept_item(request_id, auth=secret))
    assert ncip.problem_type(answer) is None
    async with node.runtime.sessions() as session:
        row = await session.scalar(
            select(BorrowingRequest).where(BorrowingRequest.partner_request_id == request_id)
        )
    assert row is not None
    barcode = ncip.text(answer, "ItemId/ItemIdentifierValue")
    assert barcode is not None
    return row.id, barcode


async def _state(node: Any, request_id: int) -> tuple[str, list[str]]:
    async with node.runtime.sessions() as session:
        row = await session.get_one(BorrowingRequest, request_id)
        kinds = await session.scalars(
            select(History.kind)
            .where(History.borrowing_request_id == request_id)
            .order_by(History.id)
        )
        return row.status, [k for k in kinds if k.startswith("NCIP:")]


async def test_check_in_of_the_borrowed_item_completes_the_request(
    node_factory: NodeFactory, db_url: str
) -> None:
    node = await node_factory(rs_institution("UNIB"), db_url=db_url)
    secret = await ncip.add_broker(node.runtime, "UNIB")
    rid, barcode = await _accepted(node, secret, "BRK-C1")
    staff = staff_principal("UNIB")

    # On its way to us: the lender cannot have it back yet.
    before = await ncip.snapshot(node.runtime)
    early = await ncip.post(node.client, ncip.check_in_item(barcode, auth=secret))
    assert early[0].tag == ncip.q("CheckInItemResponse")
    assert ncip.problem_type(early) == "Item Not Checked Out"
    assert "not been sent back" in (ncip.text(early, "Problem/ProblemDetail") or "")
    assert await _state(node, rid) == ("SHIPPED", ["NCIP:AcceptItem"])
    assert await ncip.snapshot(node.runtime) == before

    # Received, loaned to the patron, returned at the desk, shipped back.
    async with node.runtime.sessions() as session:
        await borrowing_loans.receive(
            session, actor=Actor(principal=staff), request_id=rid, desk_code="MAIN-DESK"
        )
        await session.commit()
    async with node.runtime.sessions() as session:
        await borrowing_desk.loan_to_patron(
            session, actor=staff, request_id=rid, desk_code="MAIN-DESK"
        )
    loaned = await ncip.post(node.client, ncip.check_in_item(barcode, auth=secret))
    assert ncip.problem_type(loaned) == "Item Not Checked Out"  # the patron has it
    assert (await _state(node, rid))[0] == "LOANED_TO_PATRON"
    async with node.runtime.sessions() as session:
        await borrowing_desk.return_by_patron(
            session, actor=staff, request_id=rid, desk_code="MAIN-DESK"
        )
    async with node.runtime.sessions() as session:
        await borrowing_loans.return_to_partner(
            session, actor=Actor(principal=staff), request_id=rid
        )
        await session.commit()

    # The broker: the lender has it back. Completed; the same answer when said again.
    body = ncip.check_in_item(barcode, auth=secret)
    done = await node.client.post("/ncip", content=body)
    answer = ncip.read(done)
    assert ncip.problem_type(answer) is None
    assert answer[0].tag == ncip.q("CheckInItemResponse")
    assert ncip.text(answer, "ItemId/ItemIdentifierValue") == barcode
    assert await _state(node, rid) == ("COMPLETED", ["NCIP:AcceptItem", "NCIP:CheckInItem"])
    settled = await ncip.snapshot(node.runtime)
    again = await node.client.post("/ncip", content=body)
    assert again.content == done.content
    assert await ncip.snapshot(node.runtime) == settled


async def test_delete_item_closes_what_went_back_and_nothing_else(
    node_factory: NodeFactory, sqlite_url: str
) -> None:
    node = await node_factory(rs_institution("UNIB"), db_url=sqlite_url)
    secret = await ncip.add_broker(node.runtime, "UNIB")
    rid, _ = await _accepted(node, secret, "BRK-D1")
    staff = Actor(principal=staff_principal("UNIB"))

    # Our own copy (rs_institution's UNIB-R1) and an unknown one: the same answer.
    own = ncip.read(await node.client.post("/ncip", content=delete_item("UNIB-R1", auth=secret)))
    nobody = ncip.read(await node.client.post("/ncip", content=delete_item("NOPE-1", auth=secret)))
    for answer in (own, nobody):
        assert answer[0].tag == ncip.q("DeleteItemResponse")
        assert ncip.problem_type(answer) == "Unknown Item"
    assert ncip.text(own, "Problem/ProblemDetail") == ncip.text(nobody, "Problem/ProblemDetail")

    # Named by the lender's item id (as AcceptItem gave it) while it is still here: refused.
    before = await ncip.snapshot(node.runtime)
    here = await ncip.post(node.client, delete_item("LENDER-9", auth=secret))
    assert ncip.problem_type(here) == "Element Rule Violated"
    assert await _state(node, rid) == ("SHIPPED", ["NCIP:AcceptItem"])
    assert await ncip.snapshot(node.runtime) == before

    # Received but never collected: shipped back; then the broker deletes it: completed.
    async with node.runtime.sessions() as session:
        await borrowing_loans.receive(session, actor=staff, request_id=rid, desk_code="MAIN-DESK")
        await session.commit()
    async with node.runtime.sessions() as session:
        await borrowing_loans.return_to_partner(session, actor=staff, request_id=rid)
        await session.commit()
    gone = await ncip.post(node.client, delete_item("LENDER-9", auth=secret))
    assert ncip.problem_type(gone) is None
    assert ncip.text(gone, "ItemId/ItemIdentifierValue") == "LENDER-9"
    assert await _state(node, rid) == ("COMPLETED", ["NCIP:AcceptItem", "NCIP:DeleteItem"])
    # The lending side's CheckInItem of our own copy still answers as the lending side.
    lent = await ncip.post(node.client, ncip.check_in_item("UNIB-R1", auth=secret))
    assert ncip.problem_type(lent) == "Item Not Checked Out"
    assert ncip.text(lent, "Problem/ProblemDetail") == "The item is not checked out to this agency"
