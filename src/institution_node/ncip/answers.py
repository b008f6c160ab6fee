"""Applying a broker's answers to our RenewItem / RecallItem to the lending request.

An answer is applied once: the outbox marks the message sent right after, and an answer
that finds the request moved on (the renewal already decided, the item back) is only
noted. Every answer goes into the request's history (``NCIP:<service>Response``).
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import UTC, datetime

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from network_common.errors import DomainError

from ..domain.lending import LendingStatus
from ..services.resource_sharing import common, lending_loans
from ..services.resource_sharing.messages import MessageKind
from ..store.models import LendingRequest, Loan, Partner
from .problems import ProblemType

log = logging.getLogger("institution_node.ncip")


@dataclass(frozen=True, slots=True)
class Answer:
    due: datetime | None = None
    pending: bool = False
    problem: ProblemType | None = None
    detail: str | None = None


async def apply(
    sessions: async_sessionmaker[AsyncSession],
    *,
    kind: MessageKind,
    lending_id: int,
    answer: Answer,
    outbox_id: int,
) -> None:
    """Apply ``answer`` in its own transaction (a failure is logged and noted: the message
    was delivered, so it is not sent again)."""
    service = "RenewItem" if kind is MessageKind.RENEW_REQUEST else "RecallItem"
    due = answer.due
    if due is not None and due.tzinfo is None:
        due = due.replace(tzinfo=UTC)
    async with sessions() as session:
        try:
            request = await common.lock_lending(session, lending_id)
            partner = await session.get_one(Partner, request.partner_id)
            actor = common.Actor(partner=partner)
            if kind is MessageKind.RENEW_REQUEST:
                note = await _renewal(session, request, actor, answer, due)
            else:
                note = await _recall(session, request, answer, due)
        except DomainError as exc:
            await session.rollback()
            log.warning("ncip: %s answer for lending request %s: %s", service, lending_id, exc)
            request = await common.lock_lending(session, lending_id)
            note = "The answer could not be applied: the request has moved on"
        common.history(
            session,
            category=common.HistoryCategory.MESSAGE_IN,
            kind=f"NCIP:{service}Response",
            actor=common.Actor(partner=await session.get_one(Partner, request.partner_id)),
            lending_id=request.id,
            partner_id=request.partner_id,
            note=note,
            outbox_message_id=outbox_id,
            payload={
                "protocol": "NCIP",
                "service": f"{service}Response",
                "outcome": "ok" if answer.problem is None else answer.problem.value,
                "dateDue": due.isoformat() if due else None,
            },
        )
        await session.commit()


async def _renewal(
    session: AsyncSession,
    request: LendingRequest,
    actor: common.Actor,
    answer: Answer,
    due: datetime | None,
) -> str:
    if request.status != LendingStatus.RENEW_REQUESTED.value:
        return "The renewal was decided before this answer came"
    if answer.problem is not None:
        await lending_loans.respond_renewal(
            session,
            actor=actor,
            request_id=request.id,
            approve=False,
            note=f"The broker refused the renewal: {answer.problem.value}",
        )
        return f"Renewal refused: {answer.problem.value}"
    if due is None:
        return "The broker will answer later" if answer.pending else "No due date in the answer"
    if request.due_at is not None and due <= request.due_at:
        await lending_loans.respond_renewal(
            session,
            actor=actor,
            request_id=request.id,
            approve=False,
            note="The broker kept the due date",
        )
        return "Renewal refused: the due date stays"
    await lending_loans.respond_renewal(
        session, actor=actor, request_id=request.id, approve=True, due_at=due
    )
    return f"Renewed to {due:%Y-%m-%d}"


async def _recall(
    session: AsyncSession, request: LendingRequest, answer: Answer, due: datetime | None
) -> str:
    if answer.problem is not None:
        return f"The broker refused the recall: {answer.problem.value}"
    if due is None or request.due_at is None or due >= request.due_at:
        return "Recall acknowledged"
    if request.status in (LendingStatus.SHIPPED.value, LendingStatus.RENEW_REQUESTED.value):
        loan = await session.scalar(
            select(Loan).where(Loan.id == request.loan_id).with_for_update()
        )
        if loan is not None:
            loan.due_at = due
            loan.version = (loan.version or 1) + 1
        request.due_at = due
        request.version = (request.version or 1) + 1
    return f"Recalled: due {due:%Y-%m-%d}"
