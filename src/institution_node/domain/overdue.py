"""Overdue fines, notice windows and the lost limit as plain functions of time and terms.

The fine depends only on the due date, the moment it is counted up to and the loan's
terms, so the job's accrual for a loan still out at moment T and a return at T give the
same amount ("a late return and a long-open loan agree").

- A loan is overdue from the first instant after its due date; each started day (24
  hours) after the due date is one overdue day.
- Grace period: a loan returned (or counted) within ``fine_grace_days`` overdue days owes
  nothing; past the grace period the fine counts from the due date (every overdue day,
  grace days included), as circulation systems commonly do.
- The fine is capped at ``fine_max_minor`` (when set) and at the storable maximum.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from .fulfilment import Terms
from .money import MAX_MINOR

DAY = timedelta(days=1)


def overdue_days(*, due_at: datetime, until: datetime) -> int:
    """Started days after ``due_at`` up to ``until`` (0 when not overdue)."""
    if until <= due_at:
        return 0
    late = until - due_at
    whole, rest = divmod(late, DAY)
    return int(whole) + (1 if rest else 0)


def overdue_fine(terms: Terms, *, due_at: datetime, until: datetime) -> int:
    """The fine in minor units for a loan due at ``due_at`` counted up to ``until``."""
    if terms.fine_per_day_minor <= 0:
        return 0
    days = overdue_days(due_at=due_at, until=until)
    if days <= terms.fine_grace_days:
        return 0
    amount = days * terms.fine_per_day_minor
    if terms.fine_max_minor is not None:
        amount = min(amount, terms.fine_max_minor)
    return min(amount, MAX_MINOR)


def in_courtesy_window(*, due_at: datetime, now: datetime, days_before: int) -> bool:
    """Due within the next ``days_before`` days and not yet due (0: no courtesy notices)."""
    return days_before > 0 and now < due_at <= now + timedelta(days=days_before)


def is_overdue(*, due_at: datetime, now: datetime) -> bool:
    return now > due_at
