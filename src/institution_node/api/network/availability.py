"""``availability``: a batch of network records as this member shows them (issue 5)."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum

import strawberry

from network_common.graphql_vocabulary import FeeTermKind, ItemStatus, RemoteRegister

from ...services.network import availability as service
from .context import NetworkInfo
from .identity import NetworkIdentityInput


@strawberry.enum(description="BRIEF: counts per record; FULL: holdings, items, terms, options.")
class AvailabilityDetail(StrEnum):
    BRIEF = "BRIEF"
    FULL = "FULL"


@strawberry.type
class FeeTerm:
    kind: FeeTermKind
    amount: str = strawberry.field(description="Decimal string in `currency`.")
    currency: str

    @classmethod
    def from_domain(cls, fee: service.FeeTerm) -> FeeTerm:
        return cls(kind=FeeTermKind(fee.kind), amount=str(fee.amount), currency=fee.currency)


@strawberry.type(description="Detailed terms of use: only for a viewer with an account here.")
class TermsOfUse:
    loan_period_days: int
    renewals_allowed: int
    requestable: bool
    fees: list[FeeTerm]
    renewal_period_days: int
    pickup_allowed: bool
    hold_shelf_days: int
    fine_grace_days: int
    lost_after_days_overdue: int | None
    lost_fee_refunded: bool

    @classmethod
    def from_domain(cls, terms: service.Terms) -> TermsOfUse:
        return cls(
            loan_period_days=terms.loan_period_days,
            renewals_allowed=terms.renewals_allowed,
            requestable=terms.requestable,
            fees=[FeeTerm.from_domain(f) for f in terms.fees],
            renewal_period_days=terms.renewal_period_days,
            pickup_allowed=terms.pickup_allowed,
            hold_shelf_days=terms.hold_shelf_days,
            fine_grace_days=terms.fine_grace_days,
            lost_after_days_overdue=terms.lost_after_days_overdue,
            lost_fee_refunded=terms.lost_fee_refunded,
        )


@strawberry.type
class ItemAvailability:
    barcode: str
    status: ItemStatus
    due_at: datetime | None
    loanable: bool
    terms: TermsOfUse | None

    @classmethod
    def from_domain(cls, item: service.ItemAvailability) -> ItemAvailability:
        return cls(
            barcode=item.barcode,
            status=ItemStatus(item.status),
            due_at=item.due_at,
            loanable=item.loanable,
            terms=None if item.terms is None else TermsOfUse.from_domain(item.terms),
        )


@strawberry.type
class HoldingAvailability:
    library_code: str
    library_name: str
    location: str
    call_number: str | None
    items: list[ItemAvailability]

    @classmethod
    def from_domain(cls, holding: service.HoldingAvailability) -> HoldingAvailability:
        return cls(
            library_code=holding.library_code,
            library_name=holding.library_name,
            location=holding.location,
            call_number=holding.call_number,
            items=[ItemAvailability.from_domain(i) for i in holding.items],
        )


@strawberry.type(description="Where a request may be picked up; no library: any of that member.")
class PickupPoint:
    institution_code: str
    library_code: str | None
    library_name: str | None

    @classmethod
    def from_domain(cls, point: service.PickupPoint) -> PickupPoint:
        return cls(
            institution_code=point.institution_code,
            library_code=point.library_code,
            library_name=point.library_name,
        )


@strawberry.type
class RecordAvailability:
    record_id: str
    found: bool
    title: str | None
    total_items: int
    available_items: int
    loanable_items: int
    requestable: bool = strawberry.field(
        description="The viewer may request it here (personalised answers only)."
    )
    holdings: list[HoldingAvailability] | None = strawberry.field(description="FULL only.")
    pickup_points: list[PickupPoint] | None = strawberry.field(
        description="FULL, personalised and requestable only."
    )

    @classmethod
    def from_domain(cls, record: service.RecordAvailability) -> RecordAvailability:
        return cls(
            record_id=record.record_id,
            found=record.found,
            title=record.title,
            total_items=record.total_items,
            available_items=record.available_items,
            loanable_items=record.loanable_items,
            requestable=record.requestable,
            holdings=None
            if record.holdings is None
            else [HoldingAvailability.from_domain(h) for h in record.holdings],
            pickup_points=None
            if record.pickup_points is None
            else [PickupPoint.from_domain(p) for p in record.pickup_points],
        )


@strawberry.type
class AvailabilityAnswer:
    institution_code: str
    institution_name: str
    uresolver_remote_register: RemoteRegister
    viewer_linked: bool = strawberry.field(description="The viewer has a linked account here.")
    personalised: bool = strawberry.field(
        description="Terms of use and request options are the viewer's own."
    )
    records: list[RecordAvailability]
    viewer_digest: str | None = strawberry.field(
        default=None,
        description="Digest of the viewer's limited information here (name, e-mail, user "
        "group, expiry): the hub refreshes a linked account whose digest differs from the "
        "home's. Null without an account here.",
    )

    @classmethod
    def from_domain(cls, answer: service.AvailabilityAnswer) -> AvailabilityAnswer:
        return cls(
            institution_code=answer.institution_code,
            institution_name=answer.institution_name,
            uresolver_remote_register=answer.uresolver_remote_register,
            viewer_linked=answer.viewer_linked,
            personalised=answer.personalised,
            records=[RecordAvailability.from_domain(r) for r in answer.records],
            viewer_digest=answer.viewer_digest,
        )


@strawberry.type
class AvailabilityQuery:
    @strawberry.field(
        description="Holdings and items of a batch of network records as this member shows "
        "them; personalised when the viewer has a linked account here."
    )
    async def availability(
        self,
        info: NetworkInfo,
        record_ids: list[str],
        viewer: NetworkIdentityInput | None = None,
        detail: AvailabilityDetail = AvailabilityDetail.BRIEF,
    ) -> AvailabilityAnswer:
        info.context.hub()
        who = (
            None
            if viewer is None
            else service.Viewer(
                home_institution=viewer.home_institution, home_user_id=viewer.home_user_id
            )
        )
        async with info.context.session() as session:
            answer = await service.availability(
                session, record_ids=record_ids, viewer=who, detail=service.Detail(detail.value)
            )
        return AvailabilityAnswer.from_domain(answer)
