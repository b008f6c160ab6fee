"""The loan jobs in the order a scheduler (or cron) runs them: lost, fines, notices.

``run_overdue_and_lost(sessions, *, now)`` runs, each idempotent at a given ``now``:

1. ``lost.declare_overdue_lost`` — loans past their terms' lost limit become lost;
2. ``fines.accrue_fines`` — overdue fines brought to their amount at ``now``;
3. ``notices.send_loan_notices`` — courtesy and overdue notices.

Lost comes first so that a loan declared lost gets its final fine and the lost notice,
not one more overdue notice. ``institution-node overdue-and-lost [--now ISO]`` runs this;
``declare-lost``, ``accrue-fines`` and ``loan-notices`` run one job each.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from .fines import FinesReport, accrue_fines
from .lost import LostReport, declare_overdue_lost
from .notices import NoticesReport, send_loan_notices


@dataclass(frozen=True, slots=True)
class LoanJobsReport:
    lost: LostReport
    fines: FinesReport
    notices: NoticesReport


async def run_overdue_and_lost(
    sessions: async_sessionmaker[AsyncSession], *, now: datetime, batch_size: int = 500
) -> LoanJobsReport:
    """All three loan jobs at ``now``, in order."""
    lost = await declare_overdue_lost(sessions, now=now, batch_size=batch_size)
    fines = await accrue_fines(sessions, now=now, batch_size=batch_size)
    notices = await send_loan_notices(sessions, now=now, batch_size=batch_size)
    return LoanJobsReport(lost=lost, fines=fines, notices=notices)
