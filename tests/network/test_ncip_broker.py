"""Seed 004 end to end: a broker over real HTTP (a scripted Starlette app on a loopback port)
and a node (start_node). The broker's RequestItem makes the move request, its CheckOutItem
ships the copy as a loan; the borrower's renewal goes to the broker as RenewItem (once,
after a failed attempt is retried) and its answer renews the loan; a local patron's request
for the lent copy sends RecallItem; the broker's CheckInItem completes the request and
ends the loan, and the local patron's request takes the copy."""

from __future__ import annotations

import re
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

import pytest
from lxml import etree
from sqlalchemy import select
from starlette.applications import Starlette
from starlette.requests import Request as HttpRequest
from starlette.responses import Response
from starlette.routing import Route

from institution_node.outbox import RetryPolicy, deliver_due
from institution_node.services.requests import holdshelf, placement
from institution_node.store.models import (
    History,
    LendingRequest,
    Loan,
    OutboxMessage,
    Request,
)
from tests.conftest import NodeFactory
from tests.support import ncip
from tests.support.builders import api_key
from tests.support.network import RunningServer, reserve_socket
from tests.support.resource_sharing import rs_institution, staff_principal

RENEWAL_ASKED = """
mutation($id: ID!, $due: DateTime!) {
  requestLendingRenewal(id: $id, desiredDueAt: $due) { status }
}"""
POLICY = RetryPolicy(base_seconds=10, max_seconds=60, max_attempts=5, claim_seconds=30)
TO_BROKER = "node-to-broker"
NS = ncip.NS


@dataclass
class ScriptedBroker:
    """Answers RenewItem with the desired due date and RecallItem with ``recall_due``; the
    first ``fail_first`` calls get HTTP 503. Keeps what it received."""

    recall_due: str = ""
    fail_first: int = 0
    received: list[tuple[str, bytes]] = field(default_factory=list)
    refused: int = 0

    async def handle(self, request: HttpRequest) -> Response:
        body = await request.body()
        if request.headers.get("authorization") != f"Bearer {TO_BROKER}":
            return Response(status_code=401)
        if self.fail_first > 0:
            self.fail_first -= 1
            self.refused += 1
            return Response(status_code=503)
        root = etree.fromstring(body)
        schema = ncip.shared_schema()
        assert schema.validate(root), schema.error_log
        service = etree.QName(root[0]).localname
        self.received.append((service, body))
        item = root.findtext(f".//{{{NS}}}ItemIdentifierValue")
        if service == "RenewItem":
            due = root.findtext(f".//{{{NS}}}DesiredDateDue")
            answer = f"<ItemId><ItemIdentifierValue>{item}</ItemIdentifierValue></ItemId>"
            answer += f"<DateDue>{due}</DateDue>"
        else:
            answer = f"<ItemId><ItemIdentifierValue>{item}</ItemIdentifierValue></ItemId>"
            answer += f"<DateDue>{self.recall_due}</DateDue>"
        text = (
            f'<NCIPMessage xmlns="{NS}" xmlns:n="{NS}" '
            f'n:version="http://www.niso.org/schemas/ncip/v2_02/ncip_v2_02.xsd">'
            f"<{service}Response>{answer}</{service}Response></NCIPMessage>"
        )
        return Response(text, media_type="application/xml")


@pytest.fixture
async def broker() -> AsyncIterator[tuple[ScriptedBroker, str]]:
    script = ScriptedBroker()
    app = Starlette(routes=[Route("/ncip", script.handle, methods=["POST"])])
    server = RunningServer(sock=reserve_socket(), app=app)
    await server.start()
    yield script, f"{server.url}/ncip"
    await server.stop()


def wire_time(moment: datetime) -> str:
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


async def test_seed_004_broker_lending_story(
    node_factory: NodeFactory, db_url: str, broker: tuple[ScriptedBroker, str]
) -> None:
    script, url = broker
    node = await node_factory(rs_institution("UNIB"), db_url=db_url)
    secret = await ncip.add_broker(node.runtime, "UNIB", url=url, outbound_secret=TO_BROKER)
    sessions = node.runtime.sessions

    # 1. RequestItem: the lending request and its move request (the pick slip).
    answer = await ncip.post(node.client, ncip.request_item("BRK-1", "UNIB-R1", auth=secret))
    assert ncip.problem_type(answer) is None
    async with sessions() as session:
        row = await session.scalar(select(LendingRequest))
        assert row is not None
        lending_id = row.id
        move = await session.get_one(Request, row.move_request_id)
        assert (row.status, move.status) == ("WILL_SUPPLY", "PICK_FROM_SHELF")
    async with sessions() as session:
        await holdshelf.scan_in(
            session, actor=staff_principal("UNIB"), barcode="UNIB-R1", desk_code="MAIN-DESK"
        )

    # 2. CheckOutItem: shipped, a loan to the broker's partner record with a due date.
    answer = await ncip.post(
        node.client, ncip.check_out_item("UNIB-R1", request_id="BRK-1", auth=secret)
    )
    async with sessions() as session:
        row = await session.get_one(LendingRequest, lending_id)
        loan = await session.get_one(Loan, row.loan_id)
        first_due = loan.due_at
    assert (row.status, loan.status) == ("SHIPPED", "ACTIVE")
    assert ncip.text(answer, "DateDue") == wire_time(first_due)

    # 3. The borrower asks for a renewal: RenewItem to the broker, retried after a 503.
    desired = first_due + timedelta(days=21)
    manager = await node.token(api_key("unib-rs-manager"))
    asked = await node.gql(
        RENEWAL_ASKED,
        {"id": str(lending_id), "due": desired.isoformat()},
        token=manager,
    )
    assert asked["requestLendingRenewal"]["status"] == "RENEW_REQUESTED"
    script.fail_first = 1
    start = datetime.now(UTC) + timedelta(seconds=1)
    report = await deliver_due(sessions, node.runtime.senders, now=start, policy=POLICY)
    assert (report.sent, report.retried) == (0, 1)
    async with sessions() as session:
        assert (await session.get_one(LendingRequest, lending_id)).status == "RENEW_REQUESTED"
    later = start + timedelta(minutes=10)
    report = await deliver_due(sessions, node.runtime.senders, now=later, policy=POLICY)
    assert report.sent == 1
    assert [s for s, _ in script.received] == ["RenewItem"]
    renew_body = script.received[0][1]
    assert re.search(rb"<[^>]*DesiredDateDue>" + wire_time(desired).encode(), renew_body)
    async with sessions() as session:
        row = await session.get_one(LendingRequest, lending_id)
        loan = await session.get_one(Loan, row.loan_id)
    assert (row.status, row.renewals) == ("SHIPPED", 1)
    assert wire_time(loan.due_at) == wire_time(desired)

    # 4. A local patron requests the lent copy: RecallItem, the broker answers a due date.
    script.recall_due = wire_time(datetime.now(UTC) + timedelta(days=5))
    async with sessions() as session:
        hold = await placement.place_for_patron(
            session,
            patron_primary_id="P1",
            pickup_library_code="MAIN",
            record_id=None,
            barcode="UNIB-R1",
        )
        hold_id = hold.id
    report = await deliver_due(
        sessions, node.runtime.senders, now=later + timedelta(minutes=1), policy=POLICY
    )
    assert report.sent == 1
    assert [s for s, _ in script.received] == ["RenewItem", "RecallItem"]
    async with sessions() as session:
        row = await session.get_one(LendingRequest, lending_id)
    assert wire_time(row.due_at) == script.recall_due  # type: ignore[arg-type]

    # Nothing more goes: each message once.
    report = await deliver_due(
        sessions, node.runtime.senders, now=later + timedelta(hours=1), policy=POLICY
    )
    assert report.handled == 0
    assert len(script.received) == 2
    assert script.refused == 1

    # 5. CheckInItem: completed, the loan ended; the local patron's request takes the copy.
    answer = await ncip.post(node.client, ncip.check_in_item("UNIB-R1", auth=secret))
    assert ncip.problem_type(answer) is None
    async with sessions() as session:
        row = await session.get_one(LendingRequest, lending_id)
        loan = await session.get_one(Loan, row.loan_id)
        local = await session.get_one(Request, hold_id)
        history = list(
            await session.execute(
                select(History.category, History.kind)
                .where(History.lending_request_id == lending_id)
                .order_by(History.id)
            )
        )
        outbox = list(await session.scalars(select(OutboxMessage.status)))
    assert (row.status, loan.status) == ("COMPLETED", "RETURNED")
    assert local.status == "ON_HOLD_SHELF"
    messages = [kind for category, kind in history if category.startswith("MESSAGE")]
    assert messages == [
        "REQUEST",
        "NCIP:RequestItem",
        "NCIP:CheckOutItem",
        "RENEW_REQUEST",
        "NCIP:RenewItemResponse",
        "RECALLED",
        "NCIP:RecallItemResponse",
        "NCIP:CheckInItem",
    ]
    assert outbox == ["SENT", "SENT"]

    metrics = (await node.client.get("/metrics")).text
    assert 'ncip_messages_total{direction="in",outcome="ok",service="CheckOutItem"} 1.0' in metrics
    assert 'ncip_messages_total{direction="out",outcome="ok",service="RenewItem"} 1.0' in metrics
    assert 'ncip_messages_total{direction="out",outcome="http_5xx",service="RenewItem"}' in metrics
