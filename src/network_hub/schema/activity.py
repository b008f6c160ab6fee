"""``networkActivity``: a home patron's loans, requests and fees across the network.

Row types are dict-backed: each row is the member's own answer plus ``institutionCode`` and
``institutionName`` (the schema's default resolver reads dict keys). Their attributes are
therefore spelled as the network API spells its keys (camelCase), which keeps the hub from
copying or re-typing every row of a large answer.
"""

from __future__ import annotations

from typing import Annotated, cast

import strawberry

from network_common.graphql_vocabulary import FeeType, RequestStatus

from ..activity.merge import ActivityView, InstitutionSummary, MoneyTotal
from ..activity.upstream import fetch_activity
from ..services import network_activity as service
from .common import MemberUnavailable
from .context import HubInfo


@strawberry.type(description="An active loan at another member.")
class NetworkLoan:
    institutionCode: str
    institutionName: str
    title: str
    author: str | None
    barcode: str
    loanDate: str = strawberry.field(description="ISO 8601, as the member reports it")
    dueDate: str = strawberry.field(description="ISO 8601, as the member reports it")
    renewals: int
    loanInstitution: str
    loanLocation: str | None
    owningLibrary: str


@strawberry.type(description="An active request at another member.")
class NetworkRequest:
    institutionCode: str
    institutionName: str
    title: str
    author: str | None
    status: RequestStatus
    pickupInstitution: str
    pickupLocation: str | None
    placedDate: str = strawberry.field(description="ISO 8601, as the member reports it")
    managingLibrary: str | None
    owningLibrary: str | None
    holdShelfExpiry: str | None = strawberry.field(
        description="On the hold shelf until (ISO 8601); null unless ON_HOLD_SHELF"
    )


@strawberry.type(description="An open fine or fee at another member.")
class NetworkFee:
    institutionCode: str
    institutionName: str
    type: FeeType
    original: str = strawberry.field(description='Exact decimal amount, e.g. "12.50"')
    balance: str
    currency: str
    owner: str


@strawberry.type(description="A sum of money in one currency (exact decimal string).")
class MoneyAmount:
    amount: str
    currency: str

    @classmethod
    def from_domain(cls, total: MoneyTotal) -> MoneyAmount:
        return cls(amount=total.amount, currency=total.currency)


@strawberry.type(description="One institution of the filter list (only those with activity).")
class ActivityInstitution:
    code: str
    name: str
    loan_count: int
    request_count: int
    fee_count: int
    fee_balances: list[MoneyAmount]

    @classmethod
    def from_domain(cls, summary: InstitutionSummary) -> ActivityInstitution:
        return cls(
            code=summary.code,
            name=summary.name,
            loan_count=summary.loan_count,
            request_count=summary.request_count,
            fee_count=summary.fee_count,
            fee_balances=[MoneyAmount.from_domain(t) for t in summary.fee_balances],
        )


@strawberry.type(description="A patron's activity at the other members (read-only).")
class NetworkActivity:
    patron_id: str
    home_institution: str
    institution_filter: str | None = strawberry.field(description="null: All")
    has_network_activity: bool = strawberry.field(
        description="Any activity at any member, whatever the filter (the green dot)"
    )
    loan_count: int = strawberry.field(description="Follows the filter")
    request_count: int = strawberry.field(description="Follows the filter")
    has_fees: bool = strawberry.field(description="Follows the filter")
    fee_balances: list[MoneyAmount] = strawberry.field(description="Follows the filter")
    institutions: list[ActivityInstitution] = strawberry.field(
        description="The filter list: institutions where the patron has activity"
    )
    loans: list[NetworkLoan]
    requests: list[NetworkRequest]
    fees: list[NetworkFee]
    unavailable: list[MemberUnavailable] = strawberry.field(
        description="Members holding a linked account that could not answer"
    )

    @classmethod
    def from_domain(cls, view: ActivityView) -> NetworkActivity:
        return cls(
            patron_id=view.patron_id,
            home_institution=view.home_institution,
            institution_filter=view.institution_filter,
            has_network_activity=view.has_network_activity,
            loan_count=view.loan_count,
            request_count=view.request_count,
            has_fees=view.has_fees,
            fee_balances=[MoneyAmount.from_domain(t) for t in view.fee_balances],
            institutions=[ActivityInstitution.from_domain(s) for s in view.institutions],
            # Dict-backed rows (see the module docstring).
            loans=cast(list[NetworkLoan], view.loans),
            requests=cast(list[NetworkRequest], view.requests),
            fees=cast(list[NetworkFee], view.fees),
            unavailable=[MemberUnavailable.from_domain(f) for f in view.unavailable],
        )


@strawberry.type
class ActivityQuery:
    @strawberry.field(
        description=(
            "A patron's Network Activity for staff of the patron's home institution "
            "(consortial services privilege). `institution` filters the rows and counters."
        )
    )
    async def network_activity(
        self,
        info: HubInfo,
        patron_id: str,
        institution: str | None = None,
        home_institution: Annotated[
            str | None,
            strawberry.argument(
                description="The patron's home institution; yours by default (others are refused)"
            ),
        ] = None,
    ) -> NetworkActivity:
        ctx = info.context
        view = await service.network_activity(
            runtime=ctx.runtime,
            loader=ctx.loader("networkActivity", fetch_activity),
            principal=ctx.caller(),
            patron_id=patron_id,
            patron_institution=home_institution,
            institution_filter=institution,
        )
        return NetworkActivity.from_domain(view)
