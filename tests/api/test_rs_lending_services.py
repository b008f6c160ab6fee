"""Lending requests through the service functions (the API other protocols call): the
supplier's whole story, conditions, cancellation, lost (DOMAIN §8)."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import select

from institution_node.domain.lending import LendingStatus
from institution_node.services.requests import holdshelf
from institution_node.services.resource_sharing import lending, lending_loans, partners
from institution_node.services.resource_sharing.common import Actor, now
from institution_node.services.resource_sharing.lending import PartnerAsk
from institution_node.services.resource_sharing.messages import Bibliographic
from institution_node.store.models import (
    Fee,
    Institution,
    Item,
    LendingRequest,
    Loan,
    Partner,
    Request,
)
from network_common.errors import DomainError, ErrorCode
from network_common.tokens import Principal, RoleGrant
from network_common.vocabulary import PrincipalKind, StaffRoleType
from tests.conftest import NodeFactory
from tests.support.resource_sharing import (
    add_network_partners,
    outbox_kinds,
    rs_institution,
    staff_principal,
)

MANAGER = Principal(
    kind=PrincipalKind.STAFF,
    institution="UNIB",
    user_id=None,
    primary_id="unib-rs-manager",
    session_id="s1",
    roles=(
        RoleGrant(StaffRoleType.FULFILLMENT_SERVICES_MANAGER, None, False),
        RoleGrant(StaffRoleType.REQUESTS_OPERATOR, None, False),
    ),
)


def ask(their_id: str = "UNIA-1-1", record_id: str | None = "rs-1") -> PartnerAsk:
    return PartnerAsk(
        partner_request_id=their_id,
        bibliographic=Bibliographic(title="Shared Title One", record_id=record_id),
        patron_reference="P1",
        pickup_location="Main Library",
    )


async def _lender(node_factory: NodeFactory, db_url: str):  # type: ignore[no-untyped-def]
    node = await node_factory(rs_institution("UNIB"), db_url=db_url)
    await add_network_partners(node.runtime, "UNIB", {"UNIA": "http://unia.test"})
    async with node.runtime.sessions() as session:
        partner = await partners.partner_by_code(session, "UNIA")
    assert partner is not None
    return node, partner


async def test_the_supplier_side_from_request_to_completion(
    node_factory: NodeFactory, db_url: str
) -> None:
    node, partner = await _lender(node_factory, db_url)
    staff = Actor(principal=MANAGER)
    sessions = node.runtime.sessions
    async with sessions() as session:
        request, created = await lending.receive_request(session, partner=partner, ask=ask())
        await session.commit()
    assert created
    assert request.status == LendingStatus.NEW
    async with sessions() as session:
        again, created = await lending.receive_request(session, partner=partner, ask=ask())
        await session.commit()
    assert (again.id, created) == (request.id, False)

    async with sessions() as session:
        await lending.will_supply(session, actor=staff, request_id=request.id)
        await session.commit()
    async with sessions() as session:
        row = await session.get_one(LendingRequest, request.id)
        move = await session.get_one(Request, row.move_request_id)
        assert (row.status, move.status) == ("WILL_SUPPLY", "PICK_FROM_SHELF")
    # The owning library picks it; MAIN is the shipping library too: on the hold shelf.
    async with sessions() as session:
        await holdshelf.scan_in(
            session, actor=staff_principal("UNIB"), barcode="UNIB-R1", desk_code="MAIN-DESK"
        )
    async with sessions() as session:
        await lending_loans.ship(session, actor=staff, request_id=request.id, desk_code="MAIN-DESK")
        await session.commit()
    async with sessions() as session:
        row = await session.get_one(LendingRequest, request.id)
        loan = await session.get_one(Loan, row.loan_id)
        item = await session.get_one(Item, loan.item_id)
        assert (row.status, loan.status, item.status) == ("SHIPPED", "ACTIVE", "ON_LOAN")
        assert row.due_at == loan.due_at
        first_due = loan.due_at

    async with sessions() as session:
        await lending_loans.partner_renew_request(
            session, actor=Actor(partner=partner), request_id=request.id
        )
        await lending_loans.respond_renewal(
            session, actor=staff, request_id=request.id, approve=True
        )
        await session.commit()
    async with sessions() as session:
        await lending_loans.partner_returned(
            session, actor=Actor(partner=partner), request_id=request.id
        )
        _, step = await lending_loans.check_in(
            session, actor=staff, request_id=request.id, desk_code="MAIN-DESK"
        )
        await session.commit()
    async with sessions() as session:
        row = await session.get_one(LendingRequest, request.id)
        loan = await session.get_one(Loan, row.loan_id)
        item = await session.get_one(Item, loan.item_id)
        assert (row.status, loan.status, item.status) == ("COMPLETED", "RETURNED", "ON_SHELF")
        assert row.due_at is not None
        assert row.due_at > first_due
    assert step.value == "RESHELVE"
    assert [k for _, k in await outbox_kinds(node.runtime)] == [
        "WILL_SUPPLY",
        "LOANED",
        "RENEW_RESPONSE",
        "LOAN_COMPLETED",
    ]


@pytest.mark.parametrize("accepted", [True, False])
async def test_conditions_are_answered(
    node_factory: NodeFactory, db_url: str, accepted: bool
) -> None:
    node, partner = await _lender(node_factory, db_url)
    staff = Actor(principal=MANAGER)
    async with node.runtime.sessions() as session:
        request, _ = await lending.receive_request(session, partner=partner, ask=ask())
        await lending.add_conditions(
            session,
            actor=staff,
            request_id=request.id,
            code="library_use_only",
            note="Reading room only",
            reply_by=now() + timedelta(days=3),
        )
        await lending.conditions_answered(
            session, actor=Actor(partner=partner), request_id=request.id, accepted=accepted
        )
        await session.commit()
        status = request.status
    assert status == ("WILL_SUPPLY" if accepted else "CANCELLED")


async def test_conditions_expire_at_reply_by(node_factory: NodeFactory, db_url: str) -> None:
    node, partner = await _lender(node_factory, db_url)
    staff = Actor(principal=MANAGER)
    async with node.runtime.sessions() as session:
        request, _ = await lending.receive_request(session, partner=partner, ask=ask())
        await lending.add_conditions(
            session,
            actor=staff,
            request_id=request.id,
            code="FEE",
            note=None,
            reply_by=now() + timedelta(hours=1),
        )
        await session.commit()
    async with node.runtime.sessions() as session:
        assert await lending.expire_conditions(session, now=now()) == []
        assert await lending.expire_conditions(session, now=now() + timedelta(hours=2)) == [
            request.id
        ]
        assert await lending.expire_conditions(session, now=now() + timedelta(hours=3)) == []
        row = await session.get_one(LendingRequest, request.id)
        assert (row.status, row.unfill_reason) == ("UNFILLED", "Conditions not accepted in time")
    assert [k for _, k in await outbox_kinds(node.runtime)] == ["CONDITIONAL", "UNFILLED"]


async def test_cancel_is_accepted_before_shipping_and_refused_after(
    node_factory: NodeFactory, db_url: str
) -> None:
    node, partner = await _lender(node_factory, db_url)
    staff, them = Actor(principal=MANAGER), Actor(partner=partner)
    async with node.runtime.sessions() as session:
        first, _ = await lending.receive_request(session, partner=partner, ask=ask("A-1"))
        await lending.will_supply(session, actor=staff, request_id=first.id)
        _, accepted = await lending.partner_cancel(session, actor=them, request_id=first.id)
        await session.commit()
        assert accepted
        assert first.status == "CANCELLED"
        assert first.move_request_id is None
        picked = await session.scalar(select(Item).where(Item.barcode == "UNIB-R1"))
        assert picked is not None
        assert picked.status == "ON_SHELF"
        second, _ = await lending.receive_request(session, partner=partner, ask=ask("A-2"))
        await lending_loans.ship(
            session, actor=staff, request_id=second.id, barcode="UNIB-R1", desk_code="MAIN-DESK"
        )
        _, accepted = await lending.partner_cancel(session, actor=them, request_id=second.id)
        await session.commit()
        assert not accepted
        assert second.status == "SHIPPED"
        item = await session.scalar(select(Item).where(Item.barcode == "UNIB-R1"))
        assert item is not None
        assert item.status == "ON_LOAN"


async def test_lost_and_fee_communicated(node_factory: NodeFactory, db_url: str) -> None:
    node, partner = await _lender(node_factory, db_url)
    staff = Actor(principal=MANAGER)
    async with node.runtime.sessions() as session:
        request, _ = await lending.receive_request(session, partner=partner, ask=ask())
        await lending_loans.ship(
            session, actor=staff, request_id=request.id, barcode="UNIB-R1", desk_code="MAIN-DESK"
        )
        with pytest.raises(DomainError) as refused:
            await lending_loans.declare_lost(session, actor=staff, request_id=request.id, fee="-3")
        assert refused.value.code is ErrorCode.INVALID_AMOUNT
        await lending_loans.declare_lost(
            session, actor=staff, request_id=request.id, fee="45.00", note="Lost in transit"
        )
        await session.commit()
        row = await session.get_one(LendingRequest, request.id)
        fee = await session.scalar(select(Fee).where(Fee.fee_type == "LOST_ITEM"))
        assert row.status == "LOST_AND_FEE_COMMUNICATED"
        assert fee is not None
        holder = await session.scalar(select(Partner.user_id).where(Partner.code == "UNIA"))
        assert (fee.original_minor, fee.user_id) == (4500, holder)
        await lending_loans.complete(session, actor=staff, request_id=request.id)
        await session.commit()
        assert row.status == "COMPLETED"
    assert [k for _, k in await outbox_kinds(node.runtime)] == ["LOANED", "LOST"]


async def test_a_library_scoped_operator_sees_only_its_candidates(
    node_factory: NodeFactory, db_url: str
) -> None:
    node, partner = await _lender(node_factory, db_url)
    async with node.runtime.sessions() as session:
        inst = await session.scalar(select(Institution))
        assert inst is not None
        inst.fulfillment_independence_model = "FULL"
        request, _ = await lending.receive_request(session, partner=partner, ask=ask())
        await session.commit()
    law = Principal(
        kind=PrincipalKind.STAFF,
        institution="UNIB",
        user_id=None,
        primary_id="unib-rs-law",
        session_id="s2",
        roles=(RoleGrant(StaffRoleType.FULFILLMENT_SERVICES_OPERATOR, frozenset({2}), False),),
    )
    async with node.runtime.sessions() as session:
        with pytest.raises(DomainError) as hidden:
            await lending.will_supply(session, actor=Actor(principal=law), request_id=request.id)
    assert hidden.value.code is ErrorCode.NOT_FOUND
