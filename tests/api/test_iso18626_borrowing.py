"""A supplier's ISO 18626 messages move our borrowing request (through POST /iso18626):
conditions, will supply, loaned with its due date, unfilled moving the rota on; only the
partner asked now may, and foreign and unknown request ids get the same answer."""

from __future__ import annotations

from datetime import UTC, datetime

from sqlalchemy import select

from institution_node.iso18626 import codec, wire
from institution_node.services.resource_sharing import borrowing
from institution_node.services.resource_sharing.borrowing import BorrowingAsk
from institution_node.services.resource_sharing.common import Actor
from institution_node.services.resource_sharing.messages import (
    Bibliographic,
    MessageKind,
    PartnerMessage,
)
from institution_node.store.models import BorrowingRequest, OutboxMessage
from tests.conftest import NodeFactory
from tests.support.iso18626 import outside_partner, post
from tests.support.nodes import NodeHarness
from tests.support.resource_sharing import rs_institution, staff_principal

FIRST, SECOND = ("ISIL", "XX-ONE"), ("ISIL", "XX-TWO")


async def _borrower(
    node_factory: NodeFactory, db_url: str
) -> tuple[NodeHarness, int, dict[str, str]]:
    node = await node_factory(rs_institution("UNIA"), db_url=db_url)
    secrets = {
        "ONE": await outside_partner(node.runtime, "UNIA", code="ONE", agency=FIRST),
        "TWO": await outside_partner(node.runtime, "UNIA", code="TWO", agency=SECOND),
    }
    async with node.runtime.sessions() as session:
        request = await borrowing.create_request(
            session,
            actor=Actor(principal=staff_principal("UNIA")),
            ask=BorrowingAsk(
                patron_primary_id="P1",
                pickup_library_code="MAIN",
                bibliographic=Bibliographic(title="Far Away Book"),
                partner_codes=["ONE", "TWO"],
            ),
            send=True,
        )
        await session.commit()
    return node, request.id, secrets


def supplier_says(
    kind: MessageKind,
    request_id: int,
    *,
    attempt: int = 1,
    supplier: tuple[str, str] = FIRST,
    second: int = 0,
    **fields: object,
) -> bytes:
    message = PartnerMessage(
        kind=kind,
        partner_id=0,
        requester=("NETWORK", "UNIA"),
        supplier=supplier,
        requester_request_id=f"UNIA-{request_id}-{attempt}",
        supplier_request_id="THEIR-9",
        sent_at=datetime(2026, 11, 30, 9, 0, second, tzinfo=UTC),
        **fields,  # type: ignore[arg-type]
    )
    return wire.serialize(wire.message(codec.encode(message)))


async def _status(node: NodeHarness, request_id: int) -> BorrowingRequest:
    async with node.runtime.sessions() as session:
        return await session.get_one(BorrowingRequest, request_id)


async def test_conditions_will_supply_and_loaned(node_factory: NodeFactory, db_url: str) -> None:
    node, rid, secrets = await _borrower(node_factory, db_url)
    conditional = supplier_says(
        MessageKind.CONDITIONAL, rid, reason="LIBRARY_USE_ONLY", note="In the reading room"
    )
    answer = await post(node.client, conditional, secret=secrets["ONE"])
    assert (answer.kind, answer.message_status) == ("supplyingAgencyMessageConfirmation", "OK")
    row = await _status(node, rid)
    assert (row.status, row.condition_code, row.partner_request_id) == (
        "CONDITIONAL",
        "LIBRARY_USE_ONLY",
        "THEIR-9",
    )
    async with node.runtime.sessions() as session:
        await borrowing.accept_conditions(
            session, actor=Actor(principal=staff_principal("UNIA")), request_id=rid
        )
        await session.commit()
        kinds = [p["kind"] for p in await session.scalars(select(OutboxMessage.payload))]
    assert kinds == ["REQUEST", "ACCEPT_CONDITIONS"]
    due = datetime(2026, 12, 28, 17, 0, tzinfo=UTC)
    loaned = supplier_says(MessageKind.LOANED, rid, second=1, due_at=due, item_id="X-1")
    assert (await post(node.client, loaned, secret=secrets["ONE"])).message_status == "OK"
    row = await _status(node, rid)
    assert (row.status, row.due_at, row.partner_item_id) == ("SHIPPED", due, "X-1")


async def test_unfilled_asks_the_next_partner_and_only_it_may_speak(
    node_factory: NodeFactory, db_url: str
) -> None:
    node, rid, secrets = await _borrower(node_factory, db_url)
    # The second partner may not speak for a request the first holds; an unknown id
    # gets the same answer.
    early = await post(
        node.client,
        supplier_says(MessageKind.WILL_SUPPLY, rid, supplier=SECOND),
        secret=secrets["TWO"],
    )
    unknown = await post(
        node.client, supplier_says(MessageKind.WILL_SUPPLY, 999_999), secret=secrets["ONE"]
    )
    assert (early.message_status, early.error_type) == ("ERROR", "UnrecognisedDataValue")
    assert (early.error_value, early.error_type) == (unknown.error_value, unknown.error_type)
    assert (await _status(node, rid)).status == "REQUEST_SENT"

    unfilled = supplier_says(MessageKind.UNFILLED, rid, reason="Not on shelf")
    assert (await post(node.client, unfilled, secret=secrets["ONE"])).message_status == "OK"
    row = await _status(node, rid)
    assert (row.status, row.attempt) == ("REQUEST_SENT", 2)
    # The first partner's request is over: its later messages change nothing.
    late = await post(
        node.client, supplier_says(MessageKind.WILL_SUPPLY, rid, second=5), secret=secrets["ONE"]
    )
    assert late.message_status == "ERROR"
    expect = supplier_says(MessageKind.WILL_SUPPLY, rid, attempt=2, supplier=SECOND)
    assert (await post(node.client, expect, secret=secrets["TWO"])).message_status == "OK"
    assert (await _status(node, rid)).status == "WILL_SUPPLY"


async def test_a_partner_we_moved_on_from_may_answer_our_cancel(
    node_factory: NodeFactory, db_url: str
) -> None:
    """Declining conditions sends the partner a Cancel and asks the next one: the first
    partner's CancelResponse is that Cancel's answer (OK, nothing changes); an earlier
    partner that was not sent a Cancel (it said unfilled) is still refused."""
    node, rid, secrets = await _borrower(node_factory, db_url)
    conditional = supplier_says(MessageKind.CONDITIONAL, rid, reason="FEE")
    assert (await post(node.client, conditional, secret=secrets["ONE"])).message_status == "OK"
    async with node.runtime.sessions() as session:
        await borrowing.move_to_next_partner(
            session,
            actor=Actor(principal=staff_principal("UNIA")),
            request_id=rid,
            decline_conditions=True,
        )
        await session.commit()
    assert ((await _status(node, rid)).status, (await _status(node, rid)).attempt) == (
        "REQUEST_SENT",
        2,
    )
    answer = supplier_says(MessageKind.CANCEL_RESPONSE, rid, second=2, answer=True)
    assert (await post(node.client, answer, secret=secrets["ONE"])).message_status == "OK"
    row = await _status(node, rid)
    assert (row.status, row.attempt) == ("REQUEST_SENT", 2)
    # TWO says unfilled: the rota ends. TWO was sent no Cancel, so a CancelResponse from it
    # naming the first attempt is an unknown request like any other.
    unfilled = supplier_says(MessageKind.UNFILLED, rid, attempt=2, supplier=SECOND)
    assert (await post(node.client, unfilled, secret=secrets["TWO"])).message_status == "OK"
    stray = supplier_says(
        MessageKind.CANCEL_RESPONSE, rid, attempt=1, supplier=SECOND, second=3, answer=True
    )
    refused = await post(node.client, stray, secret=secrets["TWO"])
    assert (refused.message_status, refused.error_type) == ("ERROR", "UnrecognisedDataValue")
    assert (await _status(node, rid)).status == "END_OF_ROTA"
