"""Resource sharing types of the staff API (DOMAIN §8): requests, history, facets, partners.

Each type holds only plain fields, mapped from the services' views by ``from_domain``.
"""

from __future__ import annotations

from datetime import date, datetime

import strawberry

from network_common.graphql_vocabulary import BorrowingFormat, BorrowingStatus, RequestStatus

from ...domain.borrowing import BorrowingAction
from ...domain.lending import LendingAction, LendingStatus
from ...domain.partners import PartnerAuth, PartnerOrigin, PartnerProtocol
from ...outbox.status import MessageStatus
from ...services.resource_sharing import views
from ...services.resource_sharing.common import HistoryCategory
from ...services.resource_sharing.partners import PartnerView
from ...services.resource_sharing.rotas import RotaView

strawberry.enum(BorrowingAction, description="A step staff may take on a borrowing request now.")
strawberry.enum(LendingStatus, description="Where a lending request is (DOMAIN §8).")
strawberry.enum(LendingAction, description="A step staff may take on a lending request now.")
strawberry.enum(PartnerProtocol, description="How we talk to a partner.")
strawberry.enum(PartnerAuth, description="How a partner proves who it is to us.")
strawberry.enum(
    PartnerOrigin,
    description="NETWORK: a network member, kept in step with the hub's list; LOCAL: typed "
    "in by staff.",
)
strawberry.enum(
    MessageStatus,
    name="MessageDelivery",
    description="An outgoing message's delivery: PENDING (waiting for its next attempt), "
    "SENDING, SENT (the partner accepted it) or FAILED (given up).",
)
strawberry.enum(
    HistoryCategory,
    description="A history line: a message in or out, a state change, a note or an alert.",
)


@strawberry.type(description="One line of a request's history (its messages among them).")
class HistoryEntry:
    id: strawberry.ID
    category: HistoryCategory
    kind: str = strawberry.field(description="The step, message or note kind.")
    note: str | None
    from_status: str | None
    to_status: str | None
    partner_code: str | None
    actor: str | None = strawberry.field(description="Operator, partner code, or SYSTEM.")
    active: bool = strawberry.field(description="An open note or alert (until dismissed).")
    delivery: MessageStatus | None = strawberry.field(
        description="An outgoing message's delivery state."
    )
    created_at: datetime

    @classmethod
    def from_domain(cls, v: views.HistoryLine) -> HistoryEntry:
        return cls(
            id=strawberry.ID(str(v.id)),
            category=HistoryCategory(v.category),
            kind=v.kind,
            note=v.note,
            from_status=v.from_status,
            to_status=v.to_status,
            partner_code=v.partner_code,
            actor=v.actor,
            active=v.active,
            delivery=MessageStatus(v.delivery) if v.delivery else None,
            created_at=v.created_at,
        )


def _history(lines: list[views.HistoryLine] | None) -> list[HistoryEntry]:
    return [HistoryEntry.from_domain(line) for line in lines or []]


@strawberry.type(description="A request we asked partners to fill for one of our patrons.")
class BorrowingRequest:
    id: strawberry.ID
    status: BorrowingStatus
    format: BorrowingFormat
    title: str
    author: str | None
    isbn: str | None
    issn: str | None
    publication_date: str | None
    volume: str | None
    issue: str | None
    pages: str | None
    article_title: str | None
    article_author: str | None
    record_id: str | None
    needed_by: date | None
    note: str | None
    patron_primary_id: str
    patron_name: str
    library_code: str | None = strawberry.field(
        description="The resource sharing library working the request."
    )
    pickup_library_code: str | None
    partner_code: str | None = strawberry.field(description="The partner asked now.")
    rota: list[str] = strawberry.field(description="Partner codes, in the order asked.")
    rota_position: int
    partner_request_id: str | None
    item_barcode: str | None
    shipped_at: datetime | None
    due_at: datetime | None
    renewals: int
    condition_code: str | None
    condition_note: str | None
    cancel_reason: str | None
    assignee: str | None
    active_notes: int
    created_at: datetime
    updated_at: datetime
    closed_at: datetime | None
    available_actions: list[BorrowingAction] = strawberry.field(
        description="The steps allowed in this state (the state table's)."
    )
    history: list[HistoryEntry] = strawberry.field(
        description="State changes, messages to and from partners, notes; oldest first."
    )

    @classmethod
    def from_domain(cls, v: views.BorrowingView) -> BorrowingRequest:
        return cls(
            id=strawberry.ID(str(v.id)),
            status=BorrowingStatus(v.status),
            format=BorrowingFormat(v.format),
            title=v.title,
            author=v.author,
            isbn=v.isbn,
            issn=v.issn,
            publication_date=v.publication_date,
            volume=v.volume,
            issue=v.issue,
            pages=v.pages,
            article_title=v.article_title,
            article_author=v.article_author,
            record_id=v.record_id,
            needed_by=v.needed_by,
            note=v.note,
            patron_primary_id=v.patron_primary_id,
            patron_name=v.patron_name,
            library_code=v.library_code,
            pickup_library_code=v.pickup_library_code,
            partner_code=v.partner_code,
            rota=v.rota,
            rota_position=v.rota_position,
            partner_request_id=v.partner_request_id,
            item_barcode=v.item_barcode,
            shipped_at=v.shipped_at,
            due_at=v.due_at,
            renewals=v.renewals,
            condition_code=v.condition_code,
            condition_note=v.condition_note,
            cancel_reason=v.cancel_reason,
            assignee=v.assignee,
            active_notes=v.active_notes,
            created_at=v.created_at,
            updated_at=v.updated_at,
            closed_at=v.closed_at,
            available_actions=[BorrowingAction(a) for a in v.available_actions],
            history=_history(v.history),
        )


@strawberry.type(description="A partner's request for one of our items.")
class LendingRequest:
    id: strawberry.ID
    status: LendingStatus
    partner_code: str
    partner_request_id: str
    service_type: str
    title: str
    author: str | None
    isbn: str | None
    issn: str | None
    publication_date: str | None
    volume: str | None
    issue: str | None
    pages: str | None
    article_title: str | None
    article_author: str | None
    record_id: str | None
    needed_by: date | None
    patron_reference: str | None
    patron_name: str | None
    pickup_location: str | None
    partner_note: str | None
    item_barcode: str | None
    item_library_code: str | None
    library_code: str | None
    move_request_status: RequestStatus | None = strawberry.field(
        description="Where the move request bringing the item to the shipping desk is."
    )
    due_at: datetime | None
    renewals: int
    condition_code: str | None
    condition_note: str | None
    reply_by: datetime | None
    unfill_reason: str | None
    lost_fee_minor: int | None
    assignee: str | None
    active_notes: int
    alerts: int
    created_at: datetime
    updated_at: datetime
    closed_at: datetime | None
    available_actions: list[LendingAction] = strawberry.field(
        description="The steps allowed in this state (the state table's)."
    )
    history: list[HistoryEntry] = strawberry.field(
        description="State changes, messages to and from the partner, notes, alerts."
    )

    @classmethod
    def from_domain(cls, v: views.LendingView) -> LendingRequest:
        return cls(
            id=strawberry.ID(str(v.id)),
            status=LendingStatus(v.status),
            partner_code=v.partner_code,
            partner_request_id=v.partner_request_id,
            service_type=v.service_type,
            title=v.title,
            author=v.author,
            isbn=v.isbn,
            issn=v.issn,
            publication_date=v.publication_date,
            volume=v.volume,
            issue=v.issue,
            pages=v.pages,
            article_title=v.article_title,
            article_author=v.article_author,
            record_id=v.record_id,
            needed_by=v.needed_by,
            patron_reference=v.patron_reference,
            patron_name=v.patron_name,
            pickup_location=v.pickup_location,
            partner_note=v.partner_note,
            item_barcode=v.item_barcode,
            item_library_code=v.item_library_code,
            library_code=v.library_code,
            move_request_status=(
                RequestStatus(v.move_request_status) if v.move_request_status else None
            ),
            due_at=v.due_at,
            renewals=v.renewals,
            condition_code=v.condition_code,
            condition_note=v.condition_note,
            reply_by=v.reply_by,
            unfill_reason=v.unfill_reason,
            lost_fee_minor=v.lost_fee_minor,
            assignee=v.assignee,
            active_notes=v.active_notes,
            alerts=v.alerts,
            created_at=v.created_at,
            updated_at=v.updated_at,
            closed_at=v.closed_at,
            available_actions=[LendingAction(a) for a in v.available_actions],
            history=_history(v.history),
        )


@strawberry.type(description="How many requests hold a facet value (null: none / nobody).")
class FacetCount:
    value: str | None
    count: int


@strawberry.type(
    description="Counts per facet value; each facet counts what the other filters leave."
)
class RequestFacets:
    status: list[FacetCount]
    partner: list[FacetCount]
    pickup_location: list[FacetCount]
    assignee: list[FacetCount]
    has_active_note: list[FacetCount]

    @classmethod
    def from_domain(cls, f: views.Facets) -> RequestFacets:
        def counts(values: list[views.FacetCount]) -> list[FacetCount]:
            return [FacetCount(value=c.value, count=c.count) for c in values]

        return cls(
            status=counts(f.status),
            partner=counts(f.partner),
            pickup_location=counts(f.pickup_location),
            assignee=counts(f.assignee),
            has_active_note=counts(f.has_active_note),
        )


@strawberry.type
class BorrowingRequestPage:
    total_count: int
    nodes: list[BorrowingRequest]
    end_cursor: str | None
    has_next_page: bool
    facets: RequestFacets | None

    @classmethod
    def from_domain(cls, page: views.Page[views.BorrowingView]) -> BorrowingRequestPage:
        return cls(
            total_count=page.total_count,
            nodes=[BorrowingRequest.from_domain(v) for v in page.nodes],
            end_cursor=page.end_cursor,
            has_next_page=page.has_next_page,
            facets=RequestFacets.from_domain(page.facets) if page.facets else None,
        )


@strawberry.type
class LendingRequestPage:
    total_count: int
    nodes: list[LendingRequest]
    end_cursor: str | None
    has_next_page: bool
    facets: RequestFacets | None

    @classmethod
    def from_domain(cls, page: views.Page[views.LendingView]) -> LendingRequestPage:
        return cls(
            total_count=page.total_count,
            nodes=[LendingRequest.from_domain(v) for v in page.nodes],
            end_cursor=page.end_cursor,
            has_next_page=page.has_next_page,
            facets=RequestFacets.from_domain(page.facets) if page.facets else None,
        )


@strawberry.input(description="Narrow the borrowing list; a missing list narrows nothing.")
class BorrowingFilterInput:
    status: list[BorrowingStatus] | None = None
    partner_codes: list[str] | None = None
    pickup_locations: list[str] | None = strawberry.field(
        default=None, description="Pickup library codes."
    )
    assignees: list[str] | None = strawberry.field(
        default=None, description="Operators' primary ids."
    )
    unassigned: bool = strawberry.field(
        default=False, description="Unassigned requests (besides any assignees given)."
    )
    has_active_note: bool | None = None
    patron_primary_id: str | None = strawberry.field(
        default=None, description="One patron's requests."
    )

    def to_domain(self) -> views.RequestFilter:
        return views.RequestFilter(
            statuses=[s.value for s in self.status or ()],
            partner_codes=self.partner_codes or (),
            pickup_locations=self.pickup_locations or (),
            assignees=self.assignees or (),
            unassigned=self.unassigned,
            has_active_note=self.has_active_note,
            patron_primary_id=self.patron_primary_id,
        )


@strawberry.input(description="Narrow the lending list; a missing list narrows nothing.")
class LendingFilterInput:
    status: list[LendingStatus] | None = None
    partner_codes: list[str] | None = None
    pickup_locations: list[str] | None = strawberry.field(
        default=None, description="The partner's pickup locations, as it sent them."
    )
    assignees: list[str] | None = strawberry.field(
        default=None, description="Operators' primary ids."
    )
    unassigned: bool = strawberry.field(
        default=False, description="Unassigned requests (besides any assignees given)."
    )
    has_active_note: bool | None = None

    def to_domain(self) -> views.RequestFilter:
        return views.RequestFilter(
            statuses=[s.value for s in self.status or ()],
            partner_codes=self.partner_codes or (),
            pickup_locations=self.pickup_locations or (),
            assignees=self.assignees or (),
            unassigned=self.unassigned,
            has_active_note=self.has_active_note,
        )


@strawberry.type(description="A resource sharing partner (network member or outside library).")
class ResourceSharingPartner:
    code: str
    name: str
    origin: PartnerOrigin
    protocol: PartnerProtocol
    agency_type: str
    agency_value: str
    endpoint_url: str | None
    auth_kind: PartnerAuth
    has_inbound_secret: bool
    has_outbound_secret: bool
    outbound_header: str
    ncip_application_profile: str | None
    lending_library_code: str | None
    active: bool

    @classmethod
    def from_domain(cls, v: PartnerView) -> ResourceSharingPartner:
        return cls(
            code=v.code,
            name=v.name,
            origin=v.origin,
            protocol=v.protocol,
            agency_type=v.agency_type,
            agency_value=v.agency_value,
            endpoint_url=v.endpoint_url,
            auth_kind=v.auth_kind,
            has_inbound_secret=v.has_inbound_secret,
            has_outbound_secret=v.has_outbound_secret,
            outbound_header=v.outbound_header,
            ncip_application_profile=v.ncip_application_profile,
            lending_library_code=v.lending_library_code,
            active=v.active,
        )


@strawberry.type(description="A new outside partner and the secret it must present to us.")
class PartnerCreated:
    partner: ResourceSharingPartner
    inbound_secret: str = strawberry.field(description="Shown this once: only its digest is kept.")


@strawberry.type(description="An ordered list of partners asked in turn.")
class Rota:
    code: str
    name: str
    is_default: bool
    partner_codes: list[str]

    @classmethod
    def from_domain(cls, v: RotaView) -> Rota:
        return cls(code=v.code, name=v.name, is_default=v.is_default, partner_codes=v.partners)
