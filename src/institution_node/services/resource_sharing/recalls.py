"""Recalls a local patron's request causes (DOMAIN §8, seed 004): a copy lent to a broker
is asked back (RecallItem) when one of our patrons' requests waits for it."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from ...domain.lending import LendingStatus as S
from ...domain.partners import PartnerProtocol
from ...store.models import History, LendingRequest, Partner
from . import common, lending_loans


async def recall_for_local_request(
    session: AsyncSession, *, request_id: int, item_ids: list[int]
) -> list[int]:
    """A local patron's request waits for copies that are lent to brokers: recall them
    (once per lending request; DOMAIN §8, seed 004: RecallItem to the broker). Peers are
    not recalled automatically (staff recall them). The lending request ids recalled.
    No commit."""
    if not item_ids:
        return []
    candidates = list(
        await session.scalars(
            select(LendingRequest.id)
            .join(Partner, Partner.id == LendingRequest.partner_id)
            .where(
                LendingRequest.item_id.in_(item_ids),
                LendingRequest.status.in_([S.SHIPPED.value, S.RENEW_REQUESTED.value]),
                Partner.protocol == PartnerProtocol.NCIP.value,
            )
            .order_by(LendingRequest.due_at, LendingRequest.id)
        )
    )
    if not candidates:
        return []
    already = set(
        await session.scalars(
            select(History.lending_request_id).where(
                History.lending_request_id.in_(candidates), History.kind == "RECALLED"
            )
        )
    )
    fresh = [c for c in candidates if c not in already]
    if not fresh or already:
        return []  # one recall at a time is enough for one waiting request
    await lending_loans.recall(
        session,
        actor=common.SYSTEM,
        request_id=fresh[0],
        note=f"Wanted by a local patron (request {request_id})",
    )
    return fresh[:1]
