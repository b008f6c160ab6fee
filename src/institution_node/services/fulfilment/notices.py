"""Courtesy notices before the due date, overdue notices after it, aggregated per patron.

One Courtesy letter per patron for the loans due within ``courtesy_notice_days`` (an
institution setting, 0: none) and one Overdue Notice per patron for the loans past their
due date (with each fine so far). Letters are grouped per owning library — owned, and
replied to, by that library — when ``separate_patron_notifications_by_library`` is on,
else one per patron owned by the institution (DOMAIN §2, §7). Each loan gets each notice
once per due date: a renewal (new due date) makes it due for notices again.

Job (also ``institution-node loan-notices``): ``send_loan_notices(sessions, *, now)``
walks patrons in batches of ``batch_size`` (so one patron's letter covers all their
loans), each batch one transaction of a constant number of statements.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import ColumnElement, and_, or_, select, update
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from network_common.errors import NotFound
from network_common.vocabulary import FeeType, LoanStatus

from ...domain.letters import Letter
from ...domain.money import from_minor
from ...domain.overdue import in_courtesy_window, is_overdue
from ...store.models import BibRecord, Fee, Institution, Item, Loan
from ..notifications import LetterDraft, send_letters

BATCH_SIZE = 500


@dataclass(frozen=True, slots=True)
class NoticesReport:
    courtesy_letters: int
    overdue_letters: int
    loans: int
    batches: int


def _due_for_notice(now: datetime, days_before: int) -> ColumnElement[bool]:
    overdue = and_(Loan.due_at < now, Loan.overdue_sent_at.is_(None))
    if days_before <= 0:
        return and_(Loan.status == LoanStatus.ACTIVE.value, overdue)
    courtesy = and_(
        Loan.due_at > now,
        Loan.due_at <= now + timedelta(days=days_before),
        Loan.courtesy_sent_at.is_(None),
    )
    return and_(Loan.status == LoanStatus.ACTIVE.value, or_(overdue, courtesy))


async def notice_batch(
    session: AsyncSession,
    *,
    now: datetime,
    users: list[int],
    days_before: int,
    separate: bool,
) -> tuple[int, int, int]:
    """One batch of patrons (no commit): ``(courtesy letters, overdue letters, loans)``."""
    due = _due_for_notice(now, days_before)
    rows = (
        await session.execute(
            select(
                Loan.id,
                Loan.user_id,
                Loan.owning_library_id,
                Loan.due_at,
                Item.barcode,
                BibRecord.title,
                Fee.balance_minor,
                Fee.currency,
            )
            .join(Item, Item.id == Loan.item_id)
            .join(BibRecord, BibRecord.id == Item.bib_id)
            .outerjoin(
                Fee,
                and_(
                    Fee.loan_id == Loan.id,
                    Fee.fee_type == FeeType.OVERDUE.value,
                    Fee.accruing.is_(True),
                ),
            )
            .where(due, Loan.user_id.in_(users))
            .order_by(Loan.user_id, Loan.due_at, Loan.id)
            .with_for_update(of=Loan)
        )
    ).all()
    groups: dict[tuple[Letter, int, int | None], list[Any]] = defaultdict(list)
    courtesy_ids: list[int] = []
    overdue_ids: list[int] = []
    for row in rows:
        owner = row.owning_library_id if separate else None
        if is_overdue(due_at=row.due_at, now=now):
            groups[(Letter.OVERDUE_NOTICE, row.user_id, owner)].append(row)
            overdue_ids.append(row.id)
        elif in_courtesy_window(due_at=row.due_at, now=now, days_before=days_before):
            groups[(Letter.COURTESY, row.user_id, owner)].append(row)
            courtesy_ids.append(row.id)
    drafts = [
        _draft(letter, user_id, owner, entries)
        for (letter, user_id, owner), entries in groups.items()
    ]
    if courtesy_ids:
        await session.execute(
            update(Loan).where(Loan.id.in_(courtesy_ids)).values(courtesy_sent_at=now)
        )
    if overdue_ids:
        await session.execute(
            update(Loan).where(Loan.id.in_(overdue_ids)).values(overdue_sent_at=now)
        )
    await send_letters(session, drafts, created_at=now)
    courtesy = sum(1 for (letter, _, _) in groups if letter is Letter.COURTESY)
    return courtesy, len(groups) - courtesy, len(rows)


def _draft(letter: Letter, user_id: int, owner: int | None, entries: list[Any]) -> LetterDraft:
    if letter is Letter.COURTESY:
        lines = [f"- {e.title} (barcode {e.barcode}): due {e.due_at:%Y-%m-%d}" for e in entries]
        return LetterDraft(
            user_id=user_id,
            letter=letter,
            owner_library_id=owner,
            subject=f"{len(entries)} loan(s) due soon",
            body="Please return or renew:\n" + "\n".join(lines),
        )
    lines = []
    for e in entries:
        fine = ""
        if e.balance_minor:
            fine = f"; fine so far {from_minor(e.balance_minor, e.currency)} {e.currency}"
        lines.append(f"- {e.title} (barcode {e.barcode}): was due {e.due_at:%Y-%m-%d}{fine}")
    return LetterDraft(
        user_id=user_id,
        letter=letter,
        owner_library_id=owner,
        subject=f"{len(entries)} loan(s) overdue",
        body="These loans are overdue; please return them:\n" + "\n".join(lines),
    )


async def send_loan_notices(
    sessions: async_sessionmaker[AsyncSession], *, now: datetime, batch_size: int = BATCH_SIZE
) -> NoticesReport:
    """The notices job: courtesy and overdue letters due at ``now``, once per loan."""
    async with sessions() as session:
        inst = (
            await session.execute(
                select(
                    Institution.courtesy_notice_days,
                    Institution.separate_patron_notifications_by_library,
                )
            )
        ).first()
    if inst is None:
        raise NotFound("No institution is loaded on this node")
    async with sessions() as session:
        # The patrons due a notice, read once (one statement); then batches of patrons.
        users = list(
            (
                await session.scalars(
                    select(Loan.user_id)
                    .where(_due_for_notice(now, inst.courtesy_notice_days))
                    .group_by(Loan.user_id)
                    .order_by(Loan.user_id)
                )
            ).all()
        )
    courtesy, overdue, loans, batches = 0, 0, 0, 0
    for start in range(0, len(users), batch_size):
        async with sessions() as session:
            c, o, n = await notice_batch(
                session,
                now=now,
                users=users[start : start + batch_size],
                days_before=inst.courtesy_notice_days,
                separate=inst.separate_patron_notifications_by_library,
            )
            await session.commit()
        courtesy, overdue, loans, batches = courtesy + c, overdue + o, loans + n, batches + 1
    return NoticesReport(
        courtesy_letters=courtesy, overdue_letters=overdue, loans=loans, batches=batches
    )
