"""Borrowing requests through the service functions: temporary records, the rota, the
patron's loan through the ordinary desk, the 42-day limit (DOMAIN §8)."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import func, select

from institution_node.services.circulation import loans
from institution_node.services.resource_sharing import borrowing, borrowing_loans
from institution_node.services.resource_sharing.borrowing import BorrowingAsk
from institution_node.services.resource_sharing.common import Actor, now
from institution_node.services.resource_sharing.messages import Bibliographic
from institution_node.services.resource_sharing.partners import partner_by_code
from institution_node.store.models import (
    BibRecord,
    BorrowingRequest,
    Item,
    Loan,
    Notification,
    Request,
)
from network_common.errors import DomainError, ErrorCode
from tests.conftest import NodeFactory
from tests.support.resource_sharing import (
    add_network_partners,
    outbox_kinds,
    rs_institution,
    staff_principal,
)

STAFF = Actor(principal=staff_principal("UNIA"))


def ask(*partners: str) -> BorrowingAsk:
    return BorrowingAsk(
        patron_primary_id="P1",
        pickup_library_code="MAIN",
        bibliographic=Bibliographic(title="Far Away Book", author="Someone", record_id="nr-9"),
        partner_codes=partners,
    )


async def _borrower(node_factory: NodeFactory, db_url: str):  # type: ignore[no-untyped-def]
    node = await node_factory(rs_institution("UNIA"), db_url=db_url)
    await add_network_partners(
        node.runtime, "UNIA", {"UNIB": "http://unib.test", "UNIC": "http://unic.test"}
    )
    return node


async def _count(session, model, *where) -> int:  # type: ignore[no-untyped-def]
    return int(await session.scalar(select(func.count()).select_from(model).where(*where)) or 0)


async def test_borrowing_from_request_to_completion(node_factory: NodeFactory, db_url: str) -> None:
    node = await _borrower(node_factory, db_url)
    sessions = node.runtime.sessions
    async with sessions() as session:
        request = await borrowing.create_request(session, actor=STAFF, ask=ask("UNIB"))
        await session.commit()
        bib = await session.get_one(BibRecord, request.temp_bib_id)
        item = await session.get_one(Item, request.temp_item_id)
        hold = await session.get_one(Request, request.hold_request_id)
        assert bib.suppressed
        assert item.status == "IN_TRANSIT"
        assert (hold.status, hold.level, hold.item_id) == ("PLACED", "ITEM", item.id)
        assert request.status == "READY_TO_SEND"
    async with sessions() as session:
        await borrowing.send_request(session, actor=STAFF, request_id=request.id)
        await session.commit()
        unib = await partner_by_code(session, "UNIB")
    them = Actor(partner=unib)
    shipped = now()
    async with sessions() as session:
        await borrowing.partner_will_supply(session, actor=them, request_id=request.id)
        await borrowing_loans.partner_shipped(
            session,
            actor=them,
            request_id=request.id,
            due_at=shipped + timedelta(days=20),
            shipped_at=shipped,
        )
        _, step = await borrowing_loans.receive(
            session, actor=STAFF, request_id=request.id, desk_code="MAIN-DESK"
        )
        await session.commit()
    assert step.step.value == "HOLD_SHELF"
    view = await loans.loan_item(
        await _fresh(node),
        actor=STAFF.principal,
        desk_code="MAIN-DESK",  # type: ignore[arg-type]
        patron_primary_id="P1",
        barcode=f"RS-UNIA-{request.id}",
    )
    assert view.due_at == shipped + timedelta(days=20)
    async with sessions() as session:
        await borrowing_loans.request_renewal(session, actor=STAFF, request_id=request.id)
        await borrowing_loans.partner_renewal_answer(
            session, actor=them, request_id=request.id, approved=True
        )
        await borrowing_loans.request_renewal(session, actor=STAFF, request_id=request.id)
        await session.commit()
        row = await session.get_one(BorrowingRequest, request.id)
        assert row.status == "RENEWAL_REJECTED"  # 20 + 20 + 20 days > 42: never asked
        loan = await session.scalar(select(Loan).where(Loan.item_id == row.temp_item_id))
        assert loan is not None
        assert loan.due_at == shipped + timedelta(days=40)
    await loans.return_item(
        await _fresh(node),
        actor=STAFF.principal,
        desk_code="MAIN-DESK",  # type: ignore[arg-type]
        barcode=f"RS-UNIA-{request.id}",
    )
    async with sessions() as session:
        await borrowing_loans.return_to_partner(session, actor=STAFF, request_id=request.id)
        await borrowing_loans.partner_checked_in(session, actor=them, request_id=request.id)
        await session.commit()
        row = await session.get_one(BorrowingRequest, request.id)
        assert row.status == "COMPLETED"
        assert row.temp_item_id is None
        assert await _count(session, BibRecord, BibRecord.suppressed.is_(True)) == 0
        assert await _count(session, Item, Item.barcode == f"RS-UNIA-{request.id}") == 0
        letters = list(await session.scalars(select(Notification.letter).order_by(Notification.id)))
        assert letters[:2] == ["On Hold Shelf", "Loan Receipt"]
    assert [k for _, k in await outbox_kinds(node.runtime)] == [
        "REQUEST",
        "RECEIVED",
        "RENEW",
        "SHIPPED_RETURN",
    ]


async def _fresh(node):  # type: ignore[no-untyped-def]
    return node.runtime.sessions()


async def test_the_rota_moves_on_and_ends(node_factory: NodeFactory, db_url: str) -> None:
    node = await _borrower(node_factory, db_url)
    async with node.runtime.sessions() as session:
        request = await borrowing.create_request(
            session, actor=STAFF, ask=ask("UNIB", "UNIC"), send=True
        )
        unib, unic = await partner_by_code(session, "UNIB"), await partner_by_code(session, "UNIC")
        await borrowing.partner_unfilled(
            session, actor=Actor(partner=unib), request_id=request.id, reason="not available"
        )
        assert (request.status, request.partner_id, request.attempt) == ("REQUEST_SENT", unic.id, 2)  # type: ignore[union-attr]
        with pytest.raises(DomainError) as stale:  # the first partner no longer holds it
            await borrowing.partner_unfilled(
                session, actor=Actor(partner=unib), request_id=request.id
            )
        assert stale.value.code is ErrorCode.NOT_FOUND
        await borrowing.partner_unfilled(session, actor=Actor(partner=unic), request_id=request.id)
        await session.commit()
        assert (request.status, request.partner_id) == ("END_OF_ROTA", None)
        letters = list(await session.scalars(select(Notification.letter)))
        assert letters == ["Borrowing Request Not Filled"]
        await borrowing.cancel(session, actor=STAFF, request_id=request.id, reason="Not needed")
        await session.commit()
        assert request.status == "CANCELLED"
        assert request.temp_bib_id is None
    kinds = await outbox_kinds(node.runtime)
    assert [k for _, k in kinds] == ["REQUEST", "REQUEST"]


async def test_cancel_waits_for_the_partner_and_is_refused_after_shipping(
    node_factory: NodeFactory, db_url: str
) -> None:
    node = await _borrower(node_factory, db_url)
    async with node.runtime.sessions() as session:
        first = await borrowing.create_request(session, actor=STAFF, ask=ask("UNIB"), send=True)
        unib = Actor(partner=await partner_by_code(session, "UNIB"))
        await borrowing.cancel(session, actor=STAFF, request_id=first.id, reason="Changed mind")
        assert first.status == "CANCEL_REQUESTED"
        await borrowing.partner_cancel_answer(
            session, actor=unib, request_id=first.id, accepted=True
        )
        assert first.status == "CANCELLED"
        second = await borrowing.create_request(session, actor=STAFF, ask=ask("UNIB"), send=True)
        await borrowing_loans.partner_shipped(
            session, actor=unib, request_id=second.id, due_at=now() + timedelta(days=14)
        )
        with pytest.raises(DomainError) as refused:
            await borrowing.cancel(session, actor=STAFF, request_id=second.id, reason="Too late")
        assert refused.value.code is ErrorCode.ILLEGAL_TRANSITION
        assert "shipped" in refused.value.message
        await session.commit()
