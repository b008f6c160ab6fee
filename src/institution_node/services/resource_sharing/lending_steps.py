"""What every lending step shares: finding the request for an actor, moving it through
the table, telling the partner."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from network_common.errors import NotFound

from ...domain import lending as table
from ...domain.lending import LendingEvent, LendingStatus
from ...store.models import LendingRequest, Partner
from . import common, outgoing
from .messages import MessageKind, PartnerMessage
from .visibility import visible_lending


def supplier_request_id(own_code: str, request_id: int) -> str:
    """Our id for a lending request on the wire."""
    return f"{own_code}-L{request_id}"


async def for_change(
    session: AsyncSession, *, actor: common.Actor, request_id: int
) -> LendingRequest:
    """The lending request, locked, if ``actor`` may act on it: staff who may see it, the
    partner it belongs to, or the node itself. Others get NOT_FOUND like a missing id."""
    if actor.principal is not None:
        scope = common.staff_scope(actor.principal)
        model = await common.model(session)
        visible = await session.scalar(
            select(LendingRequest.id).where(
                LendingRequest.id == request_id, visible_lending(model, scope)
            )
        )
        if visible is None:
            raise NotFound("No such lending request")
    request = await common.lock_lending(session, request_id)
    if actor.partner is not None and request.partner_id != actor.partner.id:
        raise NotFound("No such lending request")
    return request


def move(
    session: AsyncSession,
    request: LendingRequest,
    event: LendingEvent,
    *,
    actor: common.Actor,
    note: str | None = None,
) -> LendingStatus:
    """Apply ``event`` (or ILLEGAL_TRANSITION, changing nothing) and note it in history."""
    before = LendingStatus(request.status)
    after = table.next_status(before, event)
    moment = common.now()
    request.status = after.value
    request.updated_at = moment
    request.version = (request.version or 1) + 1
    if after in table.CLOSED:
        request.closed_at = moment
    common.history(
        session,
        category=common.HistoryCategory.STATUS,
        kind=event.value,
        actor=actor,
        lending_id=request.id,
        from_status=before.value,
        to_status=after.value,
        note=note,
    )
    return after


async def partner_of(session: AsyncSession, request: LendingRequest) -> Partner:
    partner = await session.get(Partner, request.partner_id)
    assert partner is not None  # a foreign key
    return partner


async def tell_partner(
    session: AsyncSession,
    request: LendingRequest,
    kind: MessageKind,
    *,
    actor: common.Actor,
    note: str | None = None,
    sent_at: datetime | None = None,
    **fields: Any,
) -> None:
    """Queue a message about ``request`` to its partner, with our status after the step."""
    partner = await partner_of(session, request)
    inst = await common.institution(session)
    message = PartnerMessage(
        kind=kind,
        partner_id=partner.id,
        requester=outgoing.partner_agency(partner),
        supplier=outgoing.own_agency(partner, inst.code),
        requester_request_id=request.partner_request_id,
        supplier_request_id=supplier_request_id(inst.code, request.id),
        sent_at=sent_at or common.now(),
        note=note,
        supplier_status=request.status,
        due_at=request.due_at,
        **fields,
    )
    await outgoing.send_to_partner(
        session, partner=partner, message=message, actor=actor, lending_id=request.id
    )


def add_alert(
    session: AsyncSession, request: LendingRequest, kind: str, *, note: str | None = None
) -> None:
    """An alert on the request (seed 003: move request in process / cancelled / completed,
    overdue replies, ...), active until staff dismiss it."""
    request.alerts = (request.alerts or 0) + 1
    common.history(
        session,
        category=common.HistoryCategory.ALERT,
        kind=kind,
        actor=common.SYSTEM,
        lending_id=request.id,
        note=note,
        active=True,
    )
