"""Steps that change no state: notes, general messages both ways, assignment, alerts.

Notes and incoming general messages are *active* until dismissed (the "has active note"
facet); alerts (lending) likewise. Assignment follows seed 003: only to an operator holding
the Fulfillment Services Operator role, and only a request that is unassigned or assigned
to oneself may be (re)assigned, unless one is a Fulfillment Services Manager.
"""

from __future__ import annotations

from enum import StrEnum

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from network_common.errors import Conflict, ErrorCode, Forbidden, InvalidInput, NotFound
from network_common.vocabulary import StaffRoleType

from ...domain import borrowing as btable
from ...domain import lending as ltable
from ...domain.vocabulary import UserKind
from ...store.models import BorrowingRequest, LendingRequest, StaffRole, User
from . import borrowing_steps, common, lending_steps
from .messages import MessageKind

Request = LendingRequest | BorrowingRequest


class Side(StrEnum):
    LENDING = "LENDING"
    BORROWING = "BORROWING"


async def _for_change(
    session: AsyncSession, side: Side, actor: common.Actor, request_id: int
) -> Request:
    if side is Side.LENDING:
        return await lending_steps.for_change(session, actor=actor, request_id=request_id)
    return await borrowing_steps.for_change(session, actor=actor, request_id=request_id)


def _ids(side: Side, request: Request) -> tuple[int | None, int | None]:
    """(lending id, borrowing id) of the request."""
    if side is Side.LENDING:
        return request.id, None
    return None, request.id


def _touch(request: Request) -> None:
    request.updated_at = common.now()
    request.version = (request.version or 1) + 1


async def add_note(
    session: AsyncSession,
    *,
    actor: common.Actor,
    side: Side,
    request_id: int,
    text: str,
    active: bool = True,
) -> Request:
    """An internal note on the request (active ones show on dashboards). No commit."""
    request = await _for_change(session, side, actor, request_id)
    body = common.clean_text(text, field="note")
    if not body:
        raise InvalidInput("A note needs some text")
    common.history(
        session,
        category=common.HistoryCategory.NOTE,
        kind="NOTE",
        actor=actor,
        note=body,
        active=active,
        lending_id=_ids(side, request)[0],
        borrowing_id=_ids(side, request)[1],
    )
    if active:
        request.active_notes = (request.active_notes or 0) + 1
    _touch(request)
    await session.flush()
    return request


async def dismiss_notes(
    session: AsyncSession, *, actor: common.Actor, side: Side, request_id: int
) -> Request:
    """Dismiss every active note and incoming message of the request. No commit."""
    request = await _for_change(session, side, actor, request_id)
    for category in (common.HistoryCategory.NOTE, common.HistoryCategory.MESSAGE_IN):
        lid, bid = _ids(side, request)
        await common.dismiss(session, category=category, lending_id=lid, borrowing_id=bid)
    request.active_notes = 0
    _touch(request)
    await session.flush()
    return request


async def dismiss_alerts(
    session: AsyncSession, *, actor: common.Actor, request_id: int
) -> LendingRequest:
    """Remove the alerts of a lending request (seed 003: Remove Alerts). No commit."""
    request = await lending_steps.for_change(session, actor=actor, request_id=request_id)
    await common.dismiss(session, category=common.HistoryCategory.ALERT, lending_id=request.id)
    request.alerts = 0
    _touch(request)
    await session.flush()
    return request


async def send_message(
    session: AsyncSession, *, actor: common.Actor, side: Side, request_id: int, note: str
) -> Request:
    """A general message to the request's partner. No commit."""
    request = await _for_change(session, side, actor, request_id)
    body = common.clean_text(note, field="note")
    if not body:
        raise InvalidInput("A message needs some text")
    if side is Side.LENDING:
        assert isinstance(request, LendingRequest)
        if ltable.LendingStatus(request.status) in ltable.CLOSED:
            raise Conflict("The request is closed", code=ErrorCode.ILLEGAL_TRANSITION)
        await lending_steps.tell_partner(
            session, request, MessageKind.SUPPLIER_NOTE, actor=actor, note=body
        )
    else:
        assert isinstance(request, BorrowingRequest)
        status = btable.BorrowingStatus(request.status)
        if status not in btable.ANNOTATIONS[btable.BorrowingAction.SEND_MESSAGE]:
            raise Conflict("No partner holds this request now", code=ErrorCode.ILLEGAL_TRANSITION)
        await borrowing_steps.tell_partner(
            session, request, MessageKind.REQUESTER_NOTE, actor=actor, note=body
        )
    _touch(request)
    await session.flush()
    return request


async def partner_message(
    session: AsyncSession,
    *,
    actor: common.Actor,
    side: Side,
    request_id: int,
    note: str | None,
    kind: str = "NOTIFICATION",
) -> Request:
    """A message from the partner, kept on the request as an active note. No commit."""
    request = await _for_change(session, side, actor, request_id)
    common.history(
        session,
        category=common.HistoryCategory.MESSAGE_IN,
        kind=kind,
        actor=actor,
        note=note,
        partner_id=actor.partner.id if actor.partner else None,
        active=bool(note),
        lending_id=_ids(side, request)[0],
        borrowing_id=_ids(side, request)[1],
    )
    if note:
        request.active_notes = (request.active_notes or 0) + 1
    _touch(request)
    await session.flush()
    return request


async def _operator_id(session: AsyncSession, primary_id: str) -> int:
    """A staff user holding the Fulfillment Services Operator role (seed 003)."""
    user_id = await session.scalar(
        select(User.id)
        .join(StaffRole, StaffRole.user_id == User.id)
        .where(
            User.primary_id == primary_id,
            User.kind == UserKind.STAFF.value,
            StaffRole.role.in_(
                [
                    StaffRoleType.FULFILLMENT_SERVICES_OPERATOR.value,
                    StaffRoleType.FULFILLMENT_SERVICES_MANAGER.value,
                ]
            ),
        )
        .limit(1)
    )
    if user_id is None:
        raise NotFound(f"No fulfillment services operator {primary_id}")
    return user_id


async def assign(
    session: AsyncSession,
    *,
    actor: common.Actor,
    side: Side,
    request_id: int,
    assignee: str | None,
    note: str | None = None,
) -> Request:
    """Assign the request to an operator (``None``: release the assignment). No commit."""
    principal = actor.principal
    if principal is None:
        raise Forbidden("Only staff assign requests")
    request = await _for_change(session, side, actor, request_id)
    manager = principal.has_any_role(frozenset({StaffRoleType.FULFILLMENT_SERVICES_MANAGER}))
    if not manager and request.assignee_id is not None and request.assignee_id != principal.user_id:
        raise Forbidden("Only the assignee (or a manager) may reassign this request")
    note = common.clean_text(note, field="note")
    request.assignee_id = await _operator_id(session, assignee) if assignee else None
    common.history(
        session,
        category=common.HistoryCategory.NOTE,
        kind="ASSIGNED" if assignee else "ASSIGNMENT_RELEASED",
        actor=actor,
        note=f"{assignee}: {note}" if assignee and note else (assignee or note),
        lending_id=_ids(side, request)[0],
        borrowing_id=_ids(side, request)[1],
    )
    _touch(request)
    await session.flush()
    return request
