"""A broker's NCIP calls through /ncip (seed 004, lending side): the request and its move
request, shipping as a loan, check in, cancellation, renewals, limited user lookup; each
message answered with XSD-valid NCIP and written to the request's history."""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import select

from institution_node.domain.partners import partner_user_id
from institution_node.services.requests import holdshelf
from institution_node.store.models import History, LendingRequest, Loan, Request, User
from tests.conftest import NodeFactory
from tests.support import ncip
from tests.support.builders import api_key
from tests.support.nodes import NodeHarness
from tests.support.resource_sharing import rs_institution, staff_principal


async def broker_node(node_factory: NodeFactory, db_url: str) -> tuple[NodeHarness, str]:
    node = await node_factory(rs_institution("UNIB"), db_url=db_url)
    secret = await ncip.add_broker(node.runtime, "UNIB")
    return node, secret


async def lending_row(node: NodeHarness, their_id: str) -> LendingRequest:
    async with node.runtime.sessions() as session:
        row = await session.scalar(
            select(LendingRequest).where(LendingRequest.partner_request_id == their_id)
        )
        assert row is not None
        return row


async def test_request_ship_and_check_in(node_factory: NodeFactory, db_url: str) -> None:
    node, secret = await broker_node(node_factory, db_url)
    answer = await ncip.post(node.client, ncip.request_item("BRK-1", "UNIB-R1", auth=secret))
    assert ncip.problem_type(answer) is None
    assert answer[0].tag == ncip.q("RequestItemResponse")
    assert ncip.text(answer, "ItemId/ItemIdentifierValue") == "UNIB-R1"
    assert ncip.text(answer, "RequestId/RequestIdentifierValue") == "BRK-1"
    row = await lending_row(node, "BRK-1")
    async with node.runtime.sessions() as session:
        move = await session.get_one(Request, row.move_request_id)
    assert (row.status, move.status) == ("WILL_SUPPLY", "PICK_FROM_SHELF")

    # The owner picks it from the shelf; the broker confirms the checkout (the shipping).
    async with node.runtime.sessions() as session:
        await holdshelf.scan_in(
            session, actor=staff_principal("UNIB"), barcode="UNIB-R1", desk_code="MAIN-DESK"
        )
    answer = await ncip.post(
        node.client, ncip.check_out_item("UNIB-R1", request_id="BRK-1"), bearer=secret
    )
    assert ncip.problem_type(answer) is None
    row = await lending_row(node, "BRK-1")
    async with node.runtime.sessions() as session:
        loan = await session.get_one(Loan, row.loan_id)
        borrower = await session.get_one(User, loan.user_id)
    assert (row.status, loan.status) == ("SHIPPED", "ACTIVE")
    assert borrower.primary_id == partner_user_id("BROKER")
    assert ncip.text(answer, "DateDue") == loan.due_at.strftime("%Y-%m-%dT%H:%M:%SZ")

    # The broker renews (its desired date), then the item comes back.
    wanted = (loan.due_at + timedelta(days=14)).strftime("%Y-%m-%dT%H:%M:%SZ")
    answer = await ncip.post(node.client, ncip.renew_item("UNIB-R1", desired=wanted, auth=secret))
    assert (ncip.text(answer, "DateDue"), ncip.text(answer, "RenewalCount")) == (wanted, "1")

    answer = await ncip.post(node.client, ncip.check_in_item("UNIB-R1", auth=secret))
    assert ncip.problem_type(answer) is None
    row = await lending_row(node, "BRK-1")
    async with node.runtime.sessions() as session:
        loan = await session.get_one(Loan, row.loan_id)
        kinds = list(
            await session.scalars(
                select(History.kind)
                .where(History.lending_request_id == row.id, History.kind.like("NCIP:%"))
                .order_by(History.id)
            )
        )
    assert (row.status, loan.status) == ("COMPLETED", "RETURNED")
    assert kinds == [
        "NCIP:RequestItem",
        "NCIP:CheckOutItem",
        "NCIP:RenewItem",
        "NCIP:CheckInItem",
    ]


async def test_check_out_without_a_request_item_makes_the_request(
    node_factory: NodeFactory, db_url: str
) -> None:
    node, secret = await broker_node(node_factory, db_url)
    answer = await ncip.post(node.client, ncip.check_out_item("UNIB-R2", auth=secret))
    assert ncip.problem_type(answer) is None
    async with node.runtime.sessions() as session:
        row = await session.scalar(select(LendingRequest))
    assert row is not None
    assert row.status == "SHIPPED"
    assert ncip.text(answer, "DateDue") is not None


async def test_cancel_before_shipping_and_refused_after(
    node_factory: NodeFactory, db_url: str
) -> None:
    node, secret = await broker_node(node_factory, db_url)
    await ncip.post(node.client, ncip.request_item("BRK-1", "UNIB-R1", auth=secret))
    answer = await ncip.post(node.client, ncip.cancel_request_item("BRK-1", auth=secret))
    assert ncip.problem_type(answer) is None
    row = await lending_row(node, "BRK-1")
    assert row.status == "CANCELLED"
    async with node.runtime.sessions() as session:
        moves = list(await session.scalars(select(Request.status)))
    assert moves == ["CANCELLED"]

    await ncip.post(node.client, ncip.request_item("BRK-2", "UNIB-R1", auth=secret))
    await ncip.post(node.client, ncip.check_out_item("UNIB-R1", request_id="BRK-2", auth=secret))
    before = await ncip.snapshot(node.runtime)
    answer = await ncip.post(node.client, ncip.cancel_request_item("BRK-2", auth=secret))
    assert ncip.problem_type(answer) == "Request Already Processed"
    assert await ncip.snapshot(node.runtime) == before
    # Nothing goes out to a broker for these steps: it learns from the answers.
    async with node.runtime.sessions() as session:
        outbox = list(await session.scalars(select(History.outbox_message_id)))
    assert not any(outbox)


async def test_lookup_user_answers_only_what_the_broker_may_know(
    node_factory: NodeFactory, db_url: str
) -> None:
    node, secret = await broker_node(node_factory, db_url)
    # The record standing for the broker exists once something was lent through it.
    await ncip.post(node.client, ncip.check_out_item("UNIB-R2", auth=secret))
    answer = await ncip.post(node.client, ncip.lookup_user(partner_user_id("BROKER"), auth=secret))
    assert ncip.problem_type(answer) is None
    assert answer.find(f".//{ncip.q('UserPrivilege')}") is not None
    own = await ncip.post(node.client, ncip.lookup_user("P1", auth=secret))
    missing = await ncip.post(node.client, ncip.lookup_user("nobody", auth=secret))
    assert ncip.problem_type(own) == ncip.problem_type(missing) == "Unknown User"
    body = own[0]
    assert body.find(f".//{ncip.q('ProblemValue')}").text == "P1"


LENDING_LIST = """
query {
  lendingRequests(first: 10) {
    totalCount
    nodes { partnerCode partnerRequestId status itemBarcode
            history { category kind note actor } }
  }
}
"""


async def test_staff_see_broker_requests_with_their_ncip_messages(
    node_factory: NodeFactory, db_url: str
) -> None:
    node, secret = await broker_node(node_factory, db_url)
    await ncip.post(node.client, ncip.request_item("BRK-1", "UNIB-R1", auth=secret))
    await ncip.post(node.client, ncip.check_out_item("UNIB-R1", request_id="BRK-1", auth=secret))
    token = await node.token(api_key("unib-rs-manager"))
    page = (await node.gql(LENDING_LIST, token=token))["lendingRequests"]
    assert page["totalCount"] == 1
    (row,) = page["nodes"]
    assert (row["partnerCode"], row["partnerRequestId"], row["status"]) == (
        "BROKER",
        "BRK-1",
        "SHIPPED",
    )
    ncip_lines = [h for h in row["history"] if h["kind"].startswith("NCIP:")]
    assert [(h["category"], h["kind"], h["actor"]) for h in ncip_lines] == [
        ("MESSAGE_IN", "NCIP:RequestItem", "BROKER"),
        ("MESSAGE_IN", "NCIP:CheckOutItem", "BROKER"),
    ]
    assert ncip_lines[0]["note"] == "From BROKER about BRK-1"


async def test_the_broker_renews_within_the_loan_terms(
    node_factory: NodeFactory, sqlite_url: str
) -> None:
    node, secret = await broker_node(node_factory, sqlite_url)
    answer = await ncip.post(node.client, ncip.check_out_item("UNIB-R2", auth=secret))
    due_text = ncip.text(answer, "DateDue")
    assert due_text is not None
    due = datetime.fromisoformat(due_text)
    seen = []
    for weeks in (1, 2, 3):  # the items allow 2 renewals
        wanted = (due + timedelta(weeks=weeks)).strftime("%Y-%m-%dT%H:%M:%SZ")
        answer = await ncip.post(
            node.client, ncip.renew_item("UNIB-R2", desired=wanted, auth=secret)
        )
        seen.append(ncip.problem_type(answer) or ncip.text(answer, "RenewalCount"))
    assert seen == ["1", "2", "Maximum Renewals Exceeded"]
