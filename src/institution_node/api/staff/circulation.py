"""Circulation on the staff API: look up an item; loan, renew and return."""

from __future__ import annotations

from datetime import datetime

import strawberry

from network_common.graphql_vocabulary import ItemStatus, NextStep

from ...services import items as item_service
from ...services.circulation import loans as service
from ...services.circulation.loans import ReturnOutcome
from ...services.items import ItemView
from ..context import StaffInfo
from .circ_types import Loan
from .ids import parse_id


@strawberry.type(description="An item; its loan (and so the patron) only if you may see it.")
class Item:
    barcode: str
    title: str
    record_id: str
    status: ItemStatus
    owning_library_code: str
    location: str
    loanable: bool
    loan_period_days: int
    renewals_allowed: int
    due_at: datetime | None
    loan: Loan | None

    @classmethod
    def from_domain(cls, v: ItemView) -> Item:
        return cls(
            barcode=v.barcode,
            title=v.title,
            record_id=v.record_id,
            status=ItemStatus(v.status),
            owning_library_code=v.owning_library,
            location=v.location,
            loanable=v.loanable,
            loan_period_days=v.loan_period_days,
            renewals_allowed=v.renewals_allowed,
            due_at=v.due_at,
            loan=Loan.from_domain(v.loan) if v.loan else None,
        )


@strawberry.type(description="The ended loan and what to do with the item now.")
class ReturnResult:
    loan: Loan
    next_step: NextStep
    destination_library_code: str | None
    destination_library_name: str | None

    @classmethod
    def from_domain(cls, v: ReturnOutcome) -> ReturnResult:
        return cls(
            loan=Loan.from_domain(v.loan),
            next_step=v.next_step,
            destination_library_code=v.destination_library_code,
            destination_library_name=v.destination_library_name,
        )


@strawberry.type
class CirculationQuery:
    @strawberry.field(description="An item by barcode.")
    async def item(self, info: StaffInfo, barcode: str) -> Item:
        actor = info.context.staff()
        async with info.context.runtime.read_session() as session:
            view = await item_service.lookup_item(session, actor=actor, barcode=barcode)
        return Item.from_domain(view)


@strawberry.type
class CirculationMutation:
    @strawberry.mutation(description="Loan an item to a patron at a circulation desk.")
    async def loan(self, info: StaffInfo, desk: str, patron: str, barcode: str) -> Loan:
        actor = info.context.staff()
        async with info.context.session() as session:
            view = await service.loan_item(
                session, actor=actor, desk_code=desk, patron_primary_id=patron, barcode=barcode
            )
        return Loan.from_domain(view)

    @strawberry.mutation(description="Renew a loan within its item policy.")
    async def renew(self, info: StaffInfo, loan_id: strawberry.ID) -> Loan:
        actor = info.context.staff()
        async with info.context.session() as session:
            view = await service.renew_loan(session, actor=actor, loan_id=parse_id(loan_id, "loan"))
        return Loan.from_domain(view)

    @strawberry.mutation(name="return", description="Return (check in) an item at a desk.")
    async def return_item(self, info: StaffInfo, desk: str, barcode: str) -> ReturnResult:
        actor = info.context.staff()
        async with info.context.session() as session:
            outcome = await service.return_item(
                session, actor=actor, desk_code=desk, barcode=barcode
            )
        return ReturnResult.from_domain(outcome)
