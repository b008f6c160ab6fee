"""Fees on the staff API: create, pay at a desk, waive. Amounts are decimal strings."""

from __future__ import annotations

import strawberry

from network_common.graphql_vocabulary import FeeType

from ...services import fees as service
from ..context import StaffInfo
from .circ_types import Fee
from .ids import parse_id


@strawberry.type
class FeeMutation:
    @strawberry.mutation(description="Charge a fee owned by a library (or the institution).")
    async def create_fee(
        self,
        info: StaffInfo,
        patron: str,
        type: FeeType,
        amount: str,
        owner_library: str | None = None,
        comment: str | None = None,
    ) -> Fee:
        actor = info.context.staff()
        async with info.context.session() as session:
            view = await service.create_fee(
                session,
                actor=actor,
                patron_primary_id=patron,
                fee_type=type,
                amount=amount,
                owner_library_code=owner_library,
                comment=comment,
            )
        return Fee.from_domain(view)

    @strawberry.mutation(description="Pay part or all of a fee at a desk.")
    async def pay_fee(self, info: StaffInfo, fee_id: strawberry.ID, amount: str, desk: str) -> Fee:
        actor = info.context.staff()
        async with info.context.session() as session:
            view = await service.pay_fee(
                session, actor=actor, fee_id=parse_id(fee_id, "fee"), amount=amount, desk_code=desk
            )
        return Fee.from_domain(view)

    @strawberry.mutation(description="Waive part of a fee, or all of it without an amount.")
    async def waive_fee(
        self,
        info: StaffInfo,
        fee_id: strawberry.ID,
        amount: str | None = None,
        reason: str | None = None,
    ) -> Fee:
        actor = info.context.staff()
        async with info.context.session() as session:
            view = await service.waive_fee(
                session, actor=actor, fee_id=parse_id(fee_id, "fee"), amount=amount, reason=reason
            )
        return Fee.from_domain(view)
