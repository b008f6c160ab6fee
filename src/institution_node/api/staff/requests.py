"""Requests on the staff API: monitor, pick from shelf, place, scan in, cancel."""

from __future__ import annotations

from datetime import datetime

import strawberry

from network_common.errors import Forbidden, Unauthenticated
from network_common.graphql_vocabulary import NextStep, RequestStatus
from network_common.tokens import Principal
from network_common.vocabulary import PrincipalKind

from ...services.requests import holdshelf, placement
from ...services.requests import lifecycle as service
from ...services.requests import views as request_views
from ...services.requests.common import REQUEST_WORK_ROLES, NextStepInfo
from ...services.requests.views import RequestPage as PageData
from ...services.requests.views import RequestView
from ..context import StaffInfo
from .enums import RequestKind, RequestLevel
from .ids import parse_id


def _id(value: strawberry.ID) -> int:
    return parse_id(value, "request")


def _patron(info: StaffInfo) -> Principal:
    """The calling patron (a patron token from ``/auth/patron-token``)."""
    principal = info.context.principal
    if principal is None:
        if info.context.auth_error is not None:
            raise info.context.auth_error
        raise Unauthenticated("A patron's bearer token is required")
    if principal.kind != PrincipalKind.PATRON:
        raise Forbidden("Only the patron cancels through this action")
    return principal


@strawberry.type(description="A patron request (hold) or a non-patron transit / work order.")
class Request:
    id: strawberry.ID
    kind: RequestKind
    level: RequestLevel
    status: RequestStatus
    title: str
    record_id: str
    item_barcode: str | None
    item_location: str | None
    call_number: str | None
    owning_library_code: str | None
    pickup_institution: str
    pickup_library_code: str | None
    pickup_library_name: str | None
    managing_library_code: str | None
    patron_primary_id: str | None
    patron_name: str | None
    placed_at: datetime
    hold_shelf_expiry: datetime | None
    cancel_reason: str | None
    cancelled_by: str | None
    closed_at: datetime | None
    note: str | None
    allowed_actions: list[str]

    @classmethod
    def from_domain(cls, v: RequestView) -> Request:
        return cls(
            id=strawberry.ID(str(v.id)),
            kind=RequestKind(v.kind),
            level=RequestLevel(v.level),
            status=RequestStatus(v.status),
            title=v.title,
            record_id=v.record_id,
            item_barcode=v.item_barcode,
            item_location=v.item_location,
            call_number=v.call_number,
            owning_library_code=v.owning_library,
            pickup_institution=v.pickup_institution,
            pickup_library_code=v.pickup_library,
            pickup_library_name=v.pickup_library_name,
            managing_library_code=v.managing_library,
            patron_primary_id=v.patron_primary_id,
            patron_name=v.patron_name,
            placed_at=v.placed_at,
            hold_shelf_expiry=v.hold_shelf_expiry,
            cancel_reason=v.cancel_reason,
            cancelled_by=v.cancelled_by,
            closed_at=v.closed_at,
            note=v.note,
            allowed_actions=v.allowed_actions,
        )


@strawberry.type
class RequestPage:
    total_count: int
    nodes: list[Request]
    end_cursor: str | None
    has_next_page: bool

    @classmethod
    def from_domain(cls, page: PageData) -> RequestPage:
        return cls(
            total_count=page.total_count,
            nodes=[Request.from_domain(v) for v in page.nodes],
            end_cursor=page.end_cursor,
            has_next_page=page.has_next_page,
        )


@strawberry.type(description="What to do with the scanned item, and the request it serves.")
class ScanInResult:
    next_step: NextStep
    destination_library_code: str | None
    destination_library_name: str | None
    destination_institution: str | None
    request: Request | None

    @classmethod
    def from_domain(cls, info: NextStepInfo, request: RequestView | None) -> ScanInResult:
        return cls(
            next_step=info.step,
            destination_library_code=info.destination_code,
            destination_library_name=info.destination_name,
            destination_institution=info.destination_institution,
            request=Request.from_domain(request) if request else None,
        )


@strawberry.type
class RequestQuery:
    @strawberry.field(description="Requests monitor: only requests your libraries may see.")
    async def requests_monitor(
        self,
        info: StaffInfo,
        status: list[RequestStatus] | None = None,
        pickup_library_code: str | None = None,
        owning_library_code: str | None = None,
        first: int = 50,
        after: str | None = None,
    ) -> RequestPage:
        actor = info.context.staff(REQUEST_WORK_ROLES)
        async with info.context.session() as session:
            page = await request_views.requests_monitor(
                session,
                actor=actor,
                statuses=status,
                pickup_library=pickup_library_code,
                owning_library=owning_library_code,
                first=first,
                after=after,
            )
        return RequestPage.from_domain(page)

    @strawberry.field(description="A library's pick-from-shelf tasks, in shelf order.")
    async def pick_from_shelf(self, info: StaffInfo, library_code: str) -> list[Request]:
        actor = info.context.staff(REQUEST_WORK_ROLES)
        async with info.context.session() as session:
            views = await request_views.pick_from_shelf(
                session, actor=actor, library_code=library_code
            )
        return [Request.from_domain(v) for v in views]

    @strawberry.field(description="The printable pick slip of a request.")
    async def pick_slip(self, info: StaffInfo, id: strawberry.ID) -> str:
        actor = info.context.staff(REQUEST_WORK_ROLES)
        async with info.context.session() as session:
            view = await request_views.get_request(session, actor=actor, request_id=_id(id))
        return request_views.pick_slip(view)

    @strawberry.field(description="One request (NOT_FOUND when missing or not yours to see).")
    async def request(self, info: StaffInfo, id: strawberry.ID) -> Request:
        actor = info.context.staff(REQUEST_WORK_ROLES)
        async with info.context.session() as session:
            view = await request_views.get_request(session, actor=actor, request_id=_id(id))
        return Request.from_domain(view)

    @strawberry.field(description="A patron's active, or completed/cancelled, requests.")
    async def patron_requests(
        self, info: StaffInfo, patron_primary_id: str, closed: bool = False
    ) -> list[Request]:
        actor = info.context.staff(REQUEST_WORK_ROLES)
        async with info.context.session() as session:
            views = await request_views.patron_requests(
                session, actor=actor, patron_primary_id=patron_primary_id, closed=closed
            )
        return [Request.from_domain(v) for v in views]


@strawberry.input
class PlaceRequestInput:
    patron_primary_id: str
    pickup_library_code: str
    record_id: str | None = None
    barcode: str | None = None
    note: str | None = None


@strawberry.type
class RequestMutation:
    @strawberry.mutation(description="Place a hold for a patron (title by record id, or item).")
    async def place_request(self, info: StaffInfo, input: PlaceRequestInput) -> Request:
        info.context.staff(REQUEST_WORK_ROLES)
        async with info.context.session() as session:
            row = await placement.place_for_patron(
                session,
                patron_primary_id=input.patron_primary_id,
                pickup_library_code=input.pickup_library_code,
                record_id=input.record_id,
                barcode=input.barcode,
                note=input.note,
            )
            view = await request_views.view_by_id(session, request_id=row.id)
        return Request.from_domain(view)

    @strawberry.mutation(description="Scan an item in at a desk: pick, receive, or reshelve.")
    async def scan_in(self, info: StaffInfo, barcode: str, desk_code: str) -> ScanInResult:
        actor = info.context.staff(REQUEST_WORK_ROLES)
        async with info.context.session() as session:
            outcome = await holdshelf.scan_in(
                session, actor=actor, barcode=barcode, desk_code=desk_code
            )
            view = None
            if outcome.request is not None:
                view = await request_views.view_by_id(session, request_id=outcome.request.id)
        return ScanInResult.from_domain(outcome.info, view)

    @strawberry.mutation(description="Cancel a request with a reason; a moving item goes home.")
    async def cancel_request(self, info: StaffInfo, id: strawberry.ID, reason: str) -> Request:
        actor = info.context.staff(REQUEST_WORK_ROLES)
        async with info.context.session() as session:
            row = await service.cancel_request(
                session, actor=actor, request_id=_id(id), reason=reason
            )
            view = await request_views.view_by_id(session, request_id=row.id)
        return Request.from_domain(view)

    @strawberry.mutation(description="A patron cancels one of their own requests.")
    async def cancel_my_request(
        self, info: StaffInfo, id: strawberry.ID, reason: str = "Cancelled by the patron"
    ) -> Request:
        actor = _patron(info)
        async with info.context.session() as session:
            row = await service.cancel_request(
                session, actor=actor, request_id=_id(id), reason=reason
            )
            view = await request_views.view_by_id(session, request_id=row.id)
        return Request.from_domain(view)

    @strawberry.mutation(description="Open a work order on an item (finished when scanned in).")
    async def create_work_order(self, info: StaffInfo, barcode: str, note: str) -> Request:
        actor = info.context.staff(REQUEST_WORK_ROLES)
        async with info.context.session() as session:
            row = await holdshelf.create_work_order(
                session, actor=actor, barcode=barcode, note=note
            )
            view = await request_views.view_by_id(session, request_id=row.id)
        return Request.from_domain(view)
