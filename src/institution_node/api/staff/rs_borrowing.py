"""Borrowing requests (requester side) on the staff API: the list, one request, one mutation
per step. Each resolver parses, calls one service step, and maps (``rs_common``)."""

from __future__ import annotations

from datetime import date

import strawberry

from network_common.graphql_vocabulary import BorrowingFormat

from ...services.resource_sharing import annotations as rs_notes
from ...services.resource_sharing import borrowing, borrowing_desk, borrowing_loans, views
from ...services.resource_sharing.annotations import Side
from ...services.resource_sharing.common import Actor
from ...services.resource_sharing.messages import Bibliographic
from ..context import StaffInfo
from .ids import parse_id
from .rs_common import asks_for, borrowing_step, desk_step, operator
from .rs_types import BorrowingFilterInput, BorrowingRequest, BorrowingRequestPage


@strawberry.input(
    description="A new borrowing request: from a network record (recordId; the title comes "
    "from our catalogue when we hold it) or a blank form."
)
class CreateBorrowingRequestInput:
    patron_primary_id: str
    pickup_library_code: str
    format: BorrowingFormat = BorrowingFormat.BOOK
    record_id: str | None = None
    title: str | None = None
    author: str | None = None
    isbn: str | None = None
    issn: str | None = None
    year: str | None = None
    volume: str | None = None
    issue: str | None = None
    pages: str | None = None
    article_title: str | None = None
    article_author: str | None = None
    needed_by: date | None = None
    note: str | None = None
    library_code: str | None = strawberry.field(
        default=None, description="The resource sharing library (default: the pickup one)."
    )
    partner_codes: list[str] | None = strawberry.field(
        default=None, description="Partners to ask, in order (else rotaCode, else the default)."
    )
    rota_code: str | None = None
    send: bool = strawberry.field(default=False, description="Send to the first partner now.")

    def to_domain(self) -> borrowing.BorrowingAsk:
        return borrowing.BorrowingAsk(
            patron_primary_id=self.patron_primary_id,
            pickup_library_code=self.pickup_library_code,
            bibliographic=Bibliographic(
                title=self.title or "",
                author=self.author,
                isbn=self.isbn,
                issn=self.issn,
                publication_date=self.year,
                volume=self.volume,
                issue=self.issue,
                pages=self.pages,
                article_title=self.article_title,
                article_author=self.article_author,
                record_id=self.record_id,
                format=self.format.value,
            ),
            needed_by=self.needed_by,
            note=self.note,
            library_code=self.library_code,
            partner_codes=tuple(self.partner_codes or ()),
            rota_code=self.rota_code,
        )


@strawberry.type
class BorrowingQuery:
    @strawberry.field(
        description="Borrowing requests you may see, newest first, with facets and keyset "
        "paging (after: the endCursor of the page before)."
    )
    async def borrowing_requests(
        self,
        info: StaffInfo,
        filter: BorrowingFilterInput | None = None,
        first: int = 50,
        after: str | None = None,
    ) -> BorrowingRequestPage:
        actor = operator(info)
        async with info.context.session() as session:
            page = await views.borrowing_requests(
                session,
                actor=actor,
                request_filter=filter.to_domain() if filter else None,
                first=first,
                after=after,
                with_history=asks_for(info, "history"),
                with_facets=asks_for(info, "facets"),
            )
        return BorrowingRequestPage.from_domain(page)

    @strawberry.field(description="One borrowing request (NOT_FOUND when missing or not yours).")
    async def borrowing_request(self, info: StaffInfo, id: strawberry.ID) -> BorrowingRequest:
        actor = operator(info)
        async with info.context.session() as session:
            view = await views.borrowing_request(
                session, actor=actor, request_id=parse_id(id, "borrowing request")
            )
        return BorrowingRequest.from_domain(view)


@strawberry.type
class BorrowingMutation:
    @strawberry.mutation(description="Create a borrowing request (temporary records, a hold).")
    async def create_borrowing_request(
        self, info: StaffInfo, input: CreateBorrowingRequestInput
    ) -> BorrowingRequest:
        actor = Actor(principal=operator(info))
        async with info.context.session() as session:
            row = await borrowing.create_request(
                session, actor=actor, ask=input.to_domain(), send=input.send
            )
            await session.commit()
            view = await views.borrowing_request(session, actor=None, request_id=row.id)
        return BorrowingRequest.from_domain(view)

    @strawberry.mutation(description="Send to the first partner (of the rota given, or its own).")
    async def send_borrowing_request(
        self,
        info: StaffInfo,
        id: strawberry.ID,
        partner_codes: list[str] | None = None,
        rota_code: str | None = None,
    ) -> BorrowingRequest:
        return await borrowing_step(
            info,
            borrowing.send_request,
            id,
            partner_codes=tuple(partner_codes or ()),
            rota_code=rota_code,
        )

    @strawberry.mutation(
        description="Cancel: at once before sending, else the partner is asked; refused once "
        "shipped."
    )
    async def cancel_borrowing_request(
        self, info: StaffInfo, id: strawberry.ID, reason: str
    ) -> BorrowingRequest:
        return await borrowing_step(info, borrowing.cancel, id, reason=reason)

    @strawberry.mutation(description="Reject the current partner: the next one is asked.")
    async def move_borrowing_request_to_next_partner(
        self, info: StaffInfo, id: strawberry.ID, note: str | None = None
    ) -> BorrowingRequest:
        return await borrowing_step(info, borrowing.move_to_next_partner, id, note=note)

    @strawberry.mutation(description="Accept the partner's conditions.")
    async def accept_borrowing_conditions(
        self, info: StaffInfo, id: strawberry.ID, note: str | None = None
    ) -> BorrowingRequest:
        return await borrowing_step(info, borrowing.accept_conditions, id, note=note)

    @strawberry.mutation(description="Decline the partner's conditions: the next one is asked.")
    async def decline_borrowing_conditions(
        self, info: StaffInfo, id: strawberry.ID, note: str | None = None
    ) -> BorrowingRequest:
        return await borrowing_step(
            info, borrowing.move_to_next_partner, id, note=note, decline_conditions=True
        )

    @strawberry.mutation(description="After the end of the rota: ask again (partners or rota).")
    async def resend_borrowing_request(
        self,
        info: StaffInfo,
        id: strawberry.ID,
        partner_codes: list[str] | None = None,
        rota_code: str | None = None,
        send: bool = True,
    ) -> BorrowingRequest:
        return await borrowing_step(
            info,
            borrowing.resend,
            id,
            partner_codes=tuple(partner_codes or ()),
            rota_code=rota_code,
            send=send,
        )

    @strawberry.mutation(description="The item arrived at a desk: the patron's hold takes it.")
    async def receive_borrowing_request(
        self,
        info: StaffInfo,
        id: strawberry.ID,
        desk_code: str,
        barcode: str | None = None,
        note: str | None = None,
    ) -> BorrowingRequest:
        return await borrowing_step(
            info, borrowing_loans.receive, id, desk_code=desk_code, barcode=barcode, note=note
        )

    @strawberry.mutation(description="Loan the received item to its patron at a desk.")
    async def loan_borrowing_request(
        self, info: StaffInfo, id: strawberry.ID, desk_code: str
    ) -> BorrowingRequest:
        return await desk_step(info, borrowing_desk.loan_to_patron, id, desk_code=desk_code)

    @strawberry.mutation(description="Ask the partner to renew (refused past 42 days in all).")
    async def renew_borrowing_request(
        self, info: StaffInfo, id: strawberry.ID, note: str | None = None
    ) -> BorrowingRequest:
        return await borrowing_step(info, borrowing_loans.request_renewal, id, note=note)

    @strawberry.mutation(description="The patron returned the item at a desk.")
    async def return_borrowing_request(
        self, info: StaffInfo, id: strawberry.ID, desk_code: str
    ) -> BorrowingRequest:
        return await desk_step(info, borrowing_desk.return_by_patron, id, desk_code=desk_code)

    @strawberry.mutation(description="Ship the item back: the temporary records go.")
    async def return_borrowing_request_to_partner(
        self, info: StaffInfo, id: strawberry.ID, note: str | None = None
    ) -> BorrowingRequest:
        return await borrowing_step(info, borrowing_loans.return_to_partner, id, note=note)

    @strawberry.mutation(description="Tell the partner the item is lost here.")
    async def report_borrowing_request_lost(
        self, info: StaffInfo, id: strawberry.ID, note: str | None = None
    ) -> BorrowingRequest:
        return await borrowing_step(info, borrowing_loans.report_lost, id, note=note)

    @strawberry.mutation(description="Record that the partner declared the item lost.")
    async def declare_borrowing_request_lost_by_partner(
        self, info: StaffInfo, id: strawberry.ID, note: str | None = None
    ) -> BorrowingRequest:
        return await borrowing_step(info, borrowing_loans.partner_declared_lost, id, note=note)

    @strawberry.mutation(description="Close a lost request once settled with the partner.")
    async def complete_borrowing_request(
        self, info: StaffInfo, id: strawberry.ID, note: str | None = None
    ) -> BorrowingRequest:
        return await borrowing_step(info, borrowing_loans.complete, id, note=note)

    @strawberry.mutation(description="Send the patron the Query To Patron letter.")
    async def query_borrowing_patron(
        self, info: StaffInfo, id: strawberry.ID, subject: str, body: str
    ) -> BorrowingRequest:
        return await borrowing_step(info, borrowing.query_patron, id, subject=subject, body=body)

    @strawberry.mutation(description="Assign to a fulfillment services operator (null: release).")
    async def assign_borrowing_request(
        self,
        info: StaffInfo,
        id: strawberry.ID,
        assignee: str | None = None,
        note: str | None = None,
    ) -> BorrowingRequest:
        return await borrowing_step(
            info, rs_notes.assign, id, side=Side.BORROWING, assignee=assignee, note=note
        )

    @strawberry.mutation(description="An internal note (active until dismissed).")
    async def add_borrowing_note(
        self, info: StaffInfo, id: strawberry.ID, text: str
    ) -> BorrowingRequest:
        return await borrowing_step(info, rs_notes.add_note, id, side=Side.BORROWING, text=text)

    @strawberry.mutation(description="Dismiss the active notes and incoming messages.")
    async def dismiss_borrowing_notes(self, info: StaffInfo, id: strawberry.ID) -> BorrowingRequest:
        return await borrowing_step(info, rs_notes.dismiss_notes, id, side=Side.BORROWING)

    @strawberry.mutation(description="A general message to the partner asked now.")
    async def send_borrowing_message(
        self, info: StaffInfo, id: strawberry.ID, note: str
    ) -> BorrowingRequest:
        return await borrowing_step(info, rs_notes.send_message, id, side=Side.BORROWING, note=note)
