"""Lending requests (supplier side) on the staff API: the list, one request, one mutation
per step. Each resolver parses, calls one service step, and maps (``rs_common``)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

import strawberry
from sqlalchemy.ext.asyncio import AsyncSession

from ...services.resource_sharing import annotations as rs_notes
from ...services.resource_sharing import lending, lending_loans, views
from ...services.resource_sharing.annotations import Side
from ..context import StaffInfo
from .ids import parse_id
from .rs_common import asks_for, lending_step, operator
from .rs_types import LendingFilterInput, LendingRequest, LendingRequestPage


@strawberry.type
class LendingQuery:
    @strawberry.field(
        description="Lending requests you may see, newest first, with facets and keyset "
        "paging (after: the endCursor of the page before)."
    )
    async def lending_requests(
        self,
        info: StaffInfo,
        filter: LendingFilterInput | None = None,
        first: int = 50,
        after: str | None = None,
    ) -> LendingRequestPage:
        actor = operator(info)
        async with info.context.session() as session:
            page = await views.lending_requests(
                session,
                actor=actor,
                request_filter=filter.to_domain() if filter else None,
                first=first,
                after=after,
                with_history=asks_for(info, "history"),
                with_facets=asks_for(info, "facets"),
            )
        return LendingRequestPage.from_domain(page)

    @strawberry.field(description="One lending request (NOT_FOUND when missing or not yours).")
    async def lending_request(self, info: StaffInfo, id: strawberry.ID) -> LendingRequest:
        actor = operator(info)
        async with info.context.session() as session:
            view = await views.lending_request(
                session, actor=actor, request_id=parse_id(id, "lending request")
            )
        return LendingRequest.from_domain(view)


async def _check_in(session: AsyncSession, **arguments: Any) -> object:
    """Check in (the next step for the item is the desk's business, not this answer's)."""
    request, _ = await lending_loans.check_in(session, **arguments)
    return request


@strawberry.type
class LendingMutation:
    @strawberry.mutation(description="Will supply: a copy is chosen and a move request placed.")
    async def will_supply_lending_request(
        self,
        info: StaffInfo,
        id: strawberry.ID,
        barcode: str | None = None,
        note: str | None = None,
    ) -> LendingRequest:
        return await lending_step(info, lending.will_supply, id, barcode=barcode, note=note)

    @strawberry.mutation(description="Supply only on conditions, answered by replyBy.")
    async def add_lending_conditions(
        self,
        info: StaffInfo,
        id: strawberry.ID,
        condition: str,
        reply_by: datetime,
        note: str | None = None,
    ) -> LendingRequest:
        return await lending_step(
            info, lending.add_conditions, id, code=condition, note=note, reply_by=reply_by
        )

    @strawberry.mutation(description="Reject: an unfilled answer with a reason to the borrower.")
    async def unfill_lending_request(
        self, info: StaffInfo, id: strawberry.ID, reason: str, note: str | None = None
    ) -> LendingRequest:
        return await lending_step(info, lending.unfill, id, reason=reason, note=note)

    @strawberry.mutation(description="Ship: the item is loaned to the partner's institution.")
    async def ship_lending_request(
        self,
        info: StaffInfo,
        id: strawberry.ID,
        desk_code: str | None = None,
        barcode: str | None = None,
        due_at: datetime | None = None,
        note: str | None = None,
    ) -> LendingRequest:
        return await lending_step(
            info,
            lending_loans.ship,
            id,
            desk_code=desk_code,
            barcode=barcode,
            due_at=due_at,
            note=note,
        )

    @strawberry.mutation(
        description=(
            "The borrower asked for a renewal (staff record it): a broker partner is sent "
            "RenewItem with the desired due date (default: one loan period) and decides."
        )
    )
    async def request_lending_renewal(
        self,
        info: StaffInfo,
        id: strawberry.ID,
        desired_due_at: datetime | None = None,
        note: str | None = None,
    ) -> LendingRequest:
        return await lending_step(
            info, lending_loans.partner_renew_request, id, desired_due=desired_due_at, note=note
        )

    @strawberry.mutation(description="Grant the borrower's renewal (default: one loan period).")
    async def approve_lending_renewal(
        self,
        info: StaffInfo,
        id: strawberry.ID,
        due_at: datetime | None = None,
        note: str | None = None,
    ) -> LendingRequest:
        return await lending_step(
            info, lending_loans.respond_renewal, id, approve=True, due_at=due_at, note=note
        )

    @strawberry.mutation(description="Refuse the borrower's renewal (the due date stays).")
    async def reject_lending_renewal(
        self, info: StaffInfo, id: strawberry.ID, note: str | None = None
    ) -> LendingRequest:
        return await lending_step(info, lending_loans.respond_renewal, id, approve=False, note=note)

    @strawberry.mutation(description="The item is back: the loan ends, the request completes.")
    async def check_in_lending_request(
        self,
        info: StaffInfo,
        id: strawberry.ID,
        desk_code: str | None = None,
        note: str | None = None,
    ) -> LendingRequest:
        return await lending_step(info, _check_in, id, desk_code=desk_code, note=note)

    @strawberry.mutation(description="Lost at the partner: the fee is charged and communicated.")
    async def declare_lending_request_lost(
        self,
        info: StaffInfo,
        id: strawberry.ID,
        fee: str | None = None,
        note: str | None = None,
    ) -> LendingRequest:
        return await lending_step(info, lending_loans.declare_lost, id, fee=fee, note=note)

    @strawberry.mutation(description="Close a lost request once the partner paid.")
    async def complete_lending_request(
        self, info: StaffInfo, id: strawberry.ID, note: str | None = None
    ) -> LendingRequest:
        return await lending_step(info, lending_loans.complete, id, note=note)

    @strawberry.mutation(description="Ask the borrower to send the item back early.")
    async def recall_lending_request(
        self, info: StaffInfo, id: strawberry.ID, note: str | None = None
    ) -> LendingRequest:
        return await lending_step(info, lending_loans.recall, id, note=note)

    @strawberry.mutation(description="Assign to a fulfillment services operator (null: release).")
    async def assign_lending_request(
        self,
        info: StaffInfo,
        id: strawberry.ID,
        assignee: str | None = None,
        note: str | None = None,
    ) -> LendingRequest:
        return await lending_step(
            info, rs_notes.assign, id, side=Side.LENDING, assignee=assignee, note=note
        )

    @strawberry.mutation(description="An internal note (active until dismissed).")
    async def add_lending_note(
        self, info: StaffInfo, id: strawberry.ID, text: str
    ) -> LendingRequest:
        return await lending_step(info, rs_notes.add_note, id, side=Side.LENDING, text=text)

    @strawberry.mutation(description="Dismiss the active notes and incoming messages.")
    async def dismiss_lending_notes(self, info: StaffInfo, id: strawberry.ID) -> LendingRequest:
        return await lending_step(info, rs_notes.dismiss_notes, id, side=Side.LENDING)

    @strawberry.mutation(description="Remove the request's alerts.")
    async def dismiss_lending_alerts(self, info: StaffInfo, id: strawberry.ID) -> LendingRequest:
        return await lending_step(info, rs_notes.dismiss_alerts, id)

    @strawberry.mutation(description="A general message to the partner.")
    async def send_lending_message(
        self, info: StaffInfo, id: strawberry.ID, note: str
    ) -> LendingRequest:
        return await lending_step(info, rs_notes.send_message, id, side=Side.LENDING, note=note)
