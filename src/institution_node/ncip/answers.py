"""Applying a broker's answers to our RenewItem / RecallItem: to the lending request (the
borrower's renewal, a recall) or to the borrowing request (our patron's renewal).

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

from ..domain.borrowing import BorrowingStatus
from ..domain.lending import LendingStatus
from ..services.resource_sharing import borrowing_loans, common, lending_loans
from ..services.resource_sharing.messages import MessageKind
from ..store.models import BorrowingRequest, LendingRequest, Loan, Partner
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
    request_id: int,
    answer: Answer,
    outbox_id: int,
) -> None:
    """Apply ``answer`` in its own transaction (a failure is logged and noted: the message
    was delivered, so it is not sent again)."""
    if kind is MessageKind.RENEW:
        await _borrowed_renewal(sessions, request_id, answer, outbox_id)
        return
    service = "RenewItem" if kind is MessageKind.RENEW_REQUEST else "RecallItem"
    due = _aware(answer.due)
    async with sessions() as session:
        try:
            request = await common.lock_lending(session, request_id)
            partner = await session.get_one(Partner, request.partner_id)
            actor = common.Actor(partner=partner)
            if kind is MessageKind.RENEW_REQUEST:
                note = await _renewal(session, request, actor, answer, due)
            else:
                note = await _recall(session, request, answer, due)
        except DomainError as exc:
            await session.rollback()
            log.warning("ncip: %s answer for lending request %s: %s", service, request_id, exc)
            request = await common.lock_lending(session, request_id)
            partner = await session.get_one(Partner, request.partner_id)
            note = "The answer could not be applied: the request has moved on"
        _note_answer(session, service, partner, answer, due, note, outbox_id, lending_id=request.id)
        await session.commit()


def _aware(due: datetime | None) -> datetime | None:
    return due.replace(tzinfo=UTC) if due is not None and due.tzinfo is None else due


def _note_answer(
    session: AsyncSession,
    service: str,
    partner: Partner,
    answer: Answer,
    due: datetime | None,
    note: str,
    outbox_id: int,
    *,
    lending_id: int | None = None,
    borrowing_id: int | None = None,
) -> None:
    common.history(
        session,
        category=common.HistoryCategory.MESSAGE_IN,
        kind=f"NCIP:{service}Response",
        actor=common.Actor(partner=partner),
        lending_id=lending_id,
        borrowing_id=borrowing_id,
        partner_id=partner.id,
        note=note,
        outbox_message_id=outbox_id,
        payload={
            "protocol": "NCIP",
            "service": f"{service}Response",
            "outcome": "ok" if answer.problem is None else answer.problem.value,
            "dateDue": due.isoformat() if due else None,
        },
    )


async def _borrowed_renewal(
    sessions: async_sessionmaker[AsyncSession], request_id: int, answer: Answer, outbox_id: int
) -> None:
    """Our patron's renewal of a borrowed item, as the broker answered it."""
    due = _aware(answer.due)
    async with sessions() as session:
        request = await session.get(BorrowingRequest, request_id)
        if request is None or request.partner_id is None:
            return
        partner = await session.get_one(Partner, request.partner_id)
        actor = common.Actor(partner=partner)
        if request.status != BorrowingStatus.RENEW_REQUESTED.value:
            note = "The renewal was decided before this answer came"
        elif answer.problem is not None or (due is None and not answer.pending):
            await borrowing_loans.partner_renewal_answer(
                session, actor=actor, request_id=request.id, approved=False
            )
            note = f"Renewal refused: {answer.problem.value if answer.problem else 'no date'}"
        elif due is None:
            note = "The broker will answer later"
        else:
            await borrowing_loans.partner_renewal_answer(
                session, actor=actor, request_id=request.id, approved=True, due_at=due
            )
            note = f"Renewed to {due:%Y-%m-%d}"
        _note_answer(
            session, "RenewItem", partner, answer, due, note, outbox_id, borrowing_id=request.id
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
