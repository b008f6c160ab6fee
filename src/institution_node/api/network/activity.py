"""``networkActivity``: many patrons' activity here in one call (DOMAIN §4)."""

from __future__ import annotations

from datetime import datetime

import strawberry

from network_common.graphql_vocabulary import FeeType, RequestStatus

from ...services.network import activity as service
from .context import NetworkInfo
from .identity import NetworkIdentityInput


@strawberry.type
class ActivityLoan:
    title: str
    author: str | None
    barcode: str
    loan_date: datetime
    due_date: datetime
    renewals: int
    loan_institution: str = strawberry.field(description="Member code where it was loaned.")
    loan_location: str | None
    owning_library: str

    @classmethod
    def from_domain(cls, loan: service.ActivityLoan) -> ActivityLoan:
        return cls(
            title=loan.title,
            author=loan.author,
            barcode=loan.barcode,
            loan_date=loan.loaned_at,
            due_date=loan.due_at,
            renewals=loan.renewals,
            loan_institution=loan.loan_institution,
            loan_location=loan.loan_location,
            owning_library=loan.owning_library,
        )


@strawberry.type
class ActivityRequest:
    title: str
    author: str | None
    status: RequestStatus
    pickup_institution: str
    pickup_location: str | None
    placed_date: datetime
    managing_library: str | None
    owning_library: str | None
    hold_shelf_expiry: datetime | None = strawberry.field(
        description="Until when it waits on the hold shelf (ON_HOLD_SHELF only)."
    )

    @classmethod
    def from_domain(cls, request: service.ActivityRequest) -> ActivityRequest:
        return cls(
            title=request.title,
            author=request.author,
            status=RequestStatus(request.status),
            pickup_institution=request.pickup_institution,
            pickup_location=request.pickup_location,
            placed_date=request.placed_at,
            managing_library=request.managing_library,
            owning_library=request.owning_library,
            hold_shelf_expiry=request.hold_shelf_expiry,
        )


@strawberry.type
class ActivityFee:
    type: FeeType
    original: str = strawberry.field(description='Exact decimal amount, e.g. "12.50".')
    balance: str
    currency: str
    owner: str

    @classmethod
    def from_domain(cls, fee: service.ActivityFee) -> ActivityFee:
        return cls(
            type=FeeType(fee.fee_type),
            original=str(fee.original),
            balance=str(fee.balance),
            currency=fee.currency,
            owner=fee.owner,
        )


@strawberry.type
class PatronActivity:
    home_institution: str
    home_user_id: str
    found: bool = strawberry.field(description="False: no linked account here for this patron.")
    local_primary_id: str | None
    network_link_id: str | None
    loans: list[ActivityLoan]
    requests: list[ActivityRequest]
    fees: list[ActivityFee]

    @classmethod
    def from_domain(cls, activity: service.PatronActivity) -> PatronActivity:
        return cls(
            home_institution=activity.identity.home_institution,
            home_user_id=activity.identity.home_user_id,
            found=activity.found,
            local_primary_id=activity.local_primary_id,
            network_link_id=activity.network_link_id,
            loans=[ActivityLoan.from_domain(x) for x in activity.loans],
            requests=[ActivityRequest.from_domain(x) for x in activity.requests],
            fees=[ActivityFee.from_domain(x) for x in activity.fees],
        )


@strawberry.type
class ActivityQuery:
    @strawberry.field(
        description="Active loans, active requests and open fees of each patron's linked "
        "account here; only linked accounts answer (found = false otherwise)."
    )
    async def network_activity(
        self, info: NetworkInfo, patrons: list[NetworkIdentityInput]
    ) -> list[PatronActivity]:
        info.context.hub()
        identities = [service.Identity(p.home_institution, p.home_user_id) for p in patrons]
        answers = await info.context.read(
            lambda session: service.network_activity(session, identities=identities)
        )
        return [PatronActivity.from_domain(a) for a in answers]
