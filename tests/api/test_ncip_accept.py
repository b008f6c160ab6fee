"""AcceptItem: the broker tells us to take in an item for one of our patrons; it becomes a
borrowing request of the broker, shipped to us, with the temporary item and the hold, and
goes on through the ordinary borrowing steps. Retries answer the same request."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta

import httpx
from lxml import etree
from sqlalchemy import func, select

from institution_node.ncip.initiator import NcipSender
from institution_node.outbox import SenderRegistry, deliver_due
from institution_node.services.resource_sharing import borrowing_loans
from institution_node.services.resource_sharing.common import Actor
from institution_node.store.models import BorrowingRequest, Item, Loan, Request
from tests.conftest import NodeFactory
from tests.support import ncip
from tests.support.builders import api_key
from tests.support.resource_sharing import rs_institution, staff_principal


async def test_accept_item_makes_a_shipped_borrowing_request(
    node_factory: NodeFactory, db_url: str
) -> None:
    node = await node_factory(rs_institution("UNIB"), db_url=db_url)
    secret = await ncip.add_broker(node.runtime, "UNIB")
    body = ncip.accept_item("BRK-A1", auth=secret)
    answers = await asyncio.gather(*(node.client.post("/ncip", content=body) for _ in range(20)))
    assert len({a.content for a in answers}) == 1
    answer = ncip.read(answers[0])
    assert ncip.problem_type(answer) is None
    assert answer[0].tag == ncip.q("AcceptItemResponse")
    async with node.runtime.sessions() as session:
        assert await session.scalar(select(func.count()).select_from(BorrowingRequest)) == 1
        row = await session.scalar(select(BorrowingRequest))
        assert row is not None
        item = await session.get_one(Item, row.temp_item_id)
        hold = await session.get_one(Request, row.hold_request_id)
    assert (row.status, row.partner_request_id, row.partner_item_id) == (
        "SHIPPED",
        "BRK-A1",
        "LENDER-9",
    )
    assert (row.title, row.author) == ("Borrowed Title", "Ann Author")
    assert row.due_at is not None
    assert ncip.text(answer, "ItemId/ItemIdentifierValue") == item.barcode
    assert hold.status == "PLACED"

    # Staff receive it at the desk: on the hold shelf for the patron.
    async with node.runtime.sessions() as session:
        await borrowing_loans.receive(
            session,
            actor=Actor(principal=staff_principal("UNIB")),
            request_id=row.id,
            desk_code="MAIN-DESK",
        )
        await session.commit()
    async with node.runtime.sessions() as session:
        hold = await session.get_one(Request, row.hold_request_id)
        received = await session.get_one(BorrowingRequest, row.id)
    assert (received.status, hold.status) == ("RECEIVED", "ON_HOLD_SHELF")
    # The same AcceptItem later still names the same request, and changes nothing.
    before = await ncip.snapshot(node.runtime)
    again = await ncip.post(node.client, body)
    assert ncip.text(again, "ItemId/ItemIdentifierValue") == item.barcode
    assert await ncip.snapshot(node.runtime) == before


LOAN = """
mutation($barcode: String!) {
  loan(desk: "MAIN-DESK", patron: "P1", barcode: $barcode) { id dueAt }
}"""


async def test_our_patrons_renewal_goes_to_the_broker(
    node_factory: NodeFactory, sqlite_url: str
) -> None:
    node = await node_factory(rs_institution("UNIB"), db_url=sqlite_url)
    secret = await ncip.add_broker(node.runtime, "UNIB", outbound_secret="to-broker")
    staff = Actor(principal=staff_principal("UNIB"))
    due = (datetime.now(UTC) + timedelta(days=14)).strftime("%Y-%m-%dT%H:%M:%SZ")
    answer = await ncip.post(node.client, ncip.accept_item("BRK-A1", due=due, auth=secret))
    barcode = ncip.text(answer, "ItemId/ItemIdentifierValue")
    async with node.runtime.sessions() as session:
        row = await session.scalar(select(BorrowingRequest))
        assert row is not None
        await borrowing_loans.receive(
            session, actor=staff, request_id=row.id, desk_code="MAIN-DESK"
        )
        await session.commit()
    token = await node.token(api_key("unib-rs-main"))
    await node.gql(LOAN, {"barcode": barcode}, token=token)
    async with node.runtime.sessions() as session:
        await borrowing_loans.request_renewal(session, actor=staff, request_id=row.id)
        await session.commit()
    seen: list[etree._Element] = []

    def broker(request: httpx.Request) -> httpx.Response:
        root = etree.fromstring(request.content)
        assert ncip.shared_schema().validate(root)
        seen.append(root)
        wanted = root.findtext(f".//{{{ncip.NS}}}DesiredDateDue")
        return httpx.Response(
            200,
            text=(
                f'<NCIPMessage xmlns="{ncip.NS}" xmlns:n="{ncip.NS}" n:version="x">'
                f"<RenewItemResponse><ItemId><ItemIdentifierValue>LENDER-9"
                f"</ItemIdentifierValue></ItemId><DateDue>{wanted}</DateDue>"
                f"</RenewItemResponse></NCIPMessage>"
            ),
        )

    http = httpx.AsyncClient(transport=httpx.MockTransport(broker))
    registry = SenderRegistry([NcipSender(sessions=node.runtime.sessions, http=http)])
    start = datetime.now(UTC) + timedelta(seconds=1)
    for minutes in (0, 10):
        await deliver_due(node.runtime.sessions, registry, now=start + timedelta(minutes=minutes))
    await http.aclose()
    assert len(seen) == 1
    (sent,) = seen
    # The item as the broker knows it, our patron, the date wanted.
    assert sent.findtext(f".//{{{ncip.NS}}}ItemIdentifierValue") == "LENDER-9"
    assert sent.findtext(f".//{{{ncip.NS}}}UserIdentifierValue") == "P1"
    async with node.runtime.sessions() as session:
        after = await session.get_one(BorrowingRequest, row.id)
        loan = await session.scalar(select(Loan).where(Loan.status == "ACTIVE"))
    assert loan is not None
    assert (after.status, after.renewals) == ("RENEWED_BY_PARTNER", 1)
    wanted = sent.findtext(f".//{{{ncip.NS}}}DesiredDateDue")
    assert loan.due_at.strftime("%Y-%m-%dT%H:%M:%SZ") == wanted
