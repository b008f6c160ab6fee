"""``getIt`` and ``registerAtMember``: Get It at other institutions (issue 5, DOMAIN §5).

The answer is dict-backed (the hub schema's default resolver reads dicts): member rows pass
through as the member sent them, so types below name their fields as the wire does.
"""

from __future__ import annotations

from typing import Any

import strawberry

from network_common.graphql_vocabulary import AvailabilityDisplay, FeeTermKind, ItemStatus

from ..getit import service
from ..getit.shaping import Access, GetItShape, ViewerKind
from ..getit.shaping import Registration as RegistrationOption
from .common import MemberUnavailable
from .context import HubInfo

# Field names are the wire's camelCase: the answer is member dicts, read as they came.


strawberry.enum(
    GetItShape, description="BRIEF: a results page (counts); FULL: one record's full view."
)
strawberry.enum(ViewerKind, name="GetItViewer", description="A logged-in patron or anyone.")
strawberry.enum(
    Access,
    name="GetItAccess",
    description="What a section shows: AVAILABILITY_ONLY (available or not), ANONYMOUS "
    "(holdings as to a user who is not logged in) or PERSONAL (the viewer's terms and "
    "request options).",
)
strawberry.enum(
    RegistrationOption,
    name="GetItRegistration",
    description="NOT_OFFERED, OFFERED (the Register option, MANUAL), ON_OPEN (AUTO: made "
    "when the full view is opened) or LINKED (the viewer's account there personalises the "
    "view).",
)


@strawberry.type
class GetItFee:
    kind: FeeTermKind
    amount: str = strawberry.field(description="Decimal string in `currency`.")
    currency: str


@strawberry.type(description="Detailed terms of use (only with an account at that member).")
class GetItTerms:
    loanPeriodDays: int
    renewalsAllowed: int
    requestable: bool
    fees: list[GetItFee] = strawberry.field(
        description="LOAN_FEE, OVERDUE_FINE_PER_DAY, OVERDUE_FINE_MAXIMUM, "
        "LOST_ITEM_REPLACEMENT, LOST_ITEM_PROCESSING (those that apply)."
    )
    renewalPeriodDays: int
    pickupAllowed: bool
    holdShelfDays: int
    fineGraceDays: int
    lostAfterDaysOverdue: int | None
    lostFeeRefunded: bool


@strawberry.type
class GetItItem:
    barcode: str
    status: ItemStatus
    dueAt: str | None
    loanable: bool
    terms: GetItTerms | None


@strawberry.type
class GetItHolding:
    libraryCode: str
    libraryName: str
    location: str
    callNumber: str | None
    items: list[GetItItem]


@strawberry.type(description="A pickup point; no library: any pickup point of that member.")
class GetItPickupPoint:
    institutionCode: str
    libraryCode: str | None
    libraryName: str | None


@strawberry.type(description="One member's part of a record's Get It.")
class GetItSection:
    institutionCode: str
    institutionName: str
    found: bool
    available: bool
    availableCount: int
    totalCount: int | None = strawberry.field(description="Null under AVAILABILITY_ONLY.")
    access: Access
    registration: RegistrationOption
    registerOption: bool
    requestable: bool = strawberry.field(description="Request options are offered.")
    resourceSharing: bool = strawberry.field(
        description="Request it through the home institution's resource sharing instead "
        "(a patron whose home shows other members as availability only)."
    )
    holdings: list[GetItHolding] | None = strawberry.field(description="FULL only.")
    pickupPoints: list[GetItPickupPoint] | None


@strawberry.type
class GetItRecord:
    recordId: str
    home: GetItSection | None = strawberry.field(description="Null when the home cannot answer.")
    others: list[GetItSection]


@strawberry.type
class GetItAnswer:
    shape: GetItShape
    home_institution: str
    availability_display: AvailabilityDisplay = strawberry.field(
        description="The home member's network_availability_display."
    )
    viewer: ViewerKind
    records: list[GetItRecord]
    unavailable: list[MemberUnavailable]

    @classmethod
    def from_domain(cls, result: service.GetItResult) -> GetItAnswer:
        records: list[Any] = result.records  # dicts, read by the schema's default resolver
        return cls(
            shape=result.shape,
            home_institution=result.home_institution,
            availability_display=result.availability_display,
            viewer=result.viewer,
            records=records,
            unavailable=[MemberUnavailable.from_domain(f) for f in result.unavailable],
        )


@strawberry.type
class Registration:
    institution_code: str
    institution_name: str
    network_link_id: str
    get_it: GetItAnswer | None = strawberry.field(
        description="That member's now personal Get It for the given record ids."
    )

    @classmethod
    def from_domain(cls, result: service.Registration) -> Registration:
        return cls(
            institution_code=result.member,
            institution_name=result.member_name,
            network_link_id=result.network_link_id,
            get_it=None if result.get_it is None else GetItAnswer.from_domain(result.get_it),
        )


@strawberry.type
class GetItQuery:
    @strawberry.field(
        description="What the viewer can get, and where: the home section and every other "
        "member's, per record. Viewer: a patron token from the home member, or anonymous "
        "with homeInstitution."
    )
    async def get_it(
        self,
        info: HubInfo,
        record_ids: list[str],
        shape: GetItShape = GetItShape.BRIEF,
        home_institution: str | None = None,
    ) -> GetItAnswer:
        ctx = info.context
        if ctx.auth_error is not None:
            raise ctx.auth_error
        viewer = service.resolve_viewer(
            runtime=ctx.runtime, principal=ctx.principal, home_institution=home_institution
        )
        result = await service.get_it(
            runtime=ctx.runtime, viewer=viewer, record_ids=record_ids, shape=shape
        )
        return GetItAnswer.from_domain(result)


@strawberry.type
class GetItMutation:
    @strawberry.mutation(
        description="Register the calling patron at a member (MANUAL or AUTO); idempotent."
    )
    async def register_at_member(
        self, info: HubInfo, member: str, record_ids: list[str] | None = None
    ) -> Registration:
        ctx = info.context
        if ctx.auth_error is not None:
            raise ctx.auth_error
        result = await service.register_at_member(
            runtime=ctx.runtime, principal=ctx.principal, member=member, record_ids=record_ids or []
        )
        return Registration.from_domain(result)
