"""Deleting a linked account at this institution (a staff action; the network copes)."""

from __future__ import annotations

import strawberry

from ...services.network import linked_accounts as service
from ..context import StaffInfo


@strawberry.type
class LinkedAccountMutation:
    @strawberry.mutation(
        description="Delete another member's patron's linked account here; refused with "
        "CONFLICT while it has active loans, active requests or open fees."
    )
    async def delete_linked_account(self, info: StaffInfo, primary_id: str) -> bool:
        actor = info.context.staff()
        async with info.context.session() as session:
            await service.delete_linked_account(session, actor=actor, primary_id=primary_id)
        return True
