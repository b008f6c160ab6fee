"""The node's scheduled jobs, run by ``network_common.jobs.Scheduler`` inside ``serve``.

- ``hold-shelf`` (``NODE_HOLD_SHELF_JOB_SECONDS``): reminders for holds expiring within a
  day, then expiry (docs/REQUESTS.md).
- ``overdue-and-lost`` (``NODE_LOAN_JOBS_SECONDS``): loans past their lost limit declared
  lost, overdue fines brought up to date, courtesy and overdue notices
  (``services/fulfilment/jobs.py``; also ``institution-node overdue-and-lost``).
- ``outbox-delivery`` (``NODE_OUTBOX_DELIVERY_SECONDS``): hands due outbox messages to
  their channel's sender (``outbox/``).
- ``resource-sharing`` (``NODE_RS_JOBS_SECONDS``): lending requests whose conditions were
  not answered by their reply-by date are unfilled (the borrower is told), and borrowers
  of items we lent that are past due are told once (docs/RESOURCE_SHARING.md).

The same functions back the CLI (``institution-node expire-holds``); each takes the
scheduler's ``now`` so tests move time by hand.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING

from network_common.jobs import Clock, Job, Scheduler
from network_common.observability import JobMetrics

from .outbox import DeliveryReport, RetryPolicy, deliver_due
from .services.fulfilment.jobs import LoanJobsReport, run_overdue_and_lost
from .services.requests.holdshelf import send_hold_shelf_reminders
from .services.requests.lifecycle import expire_hold_shelf
from .services.resource_sharing.lending import expire_conditions
from .services.resource_sharing.lending_loans import send_overdue_notices
from .store.models import JOB_RUN

if TYPE_CHECKING:
    from .runtime import NodeRuntime


def retry_policy(runtime: NodeRuntime) -> RetryPolicy:
    s = runtime.settings
    return RetryPolicy(
        base_seconds=s.outbox_retry_base_seconds,
        max_seconds=s.outbox_retry_max_seconds,
        max_attempts=s.outbox_max_attempts,
    )


async def hold_shelf(runtime: NodeRuntime, *, now: datetime) -> tuple[int, int]:
    """Reminders, then expiry, as of ``now``: (reminders sent, requests expired)."""
    async with runtime.sessions() as session:
        reminders = await send_hold_shelf_reminders(session, now=now)
        expired = await expire_hold_shelf(session, now=now)
    return reminders, len(expired)


async def loan_jobs(runtime: NodeRuntime, *, now: datetime) -> LoanJobsReport:
    """Lost, fines and notices as of ``now``, in that order."""
    return await run_overdue_and_lost(runtime.sessions, now=now)


async def outbox_delivery(runtime: NodeRuntime, *, now: datetime) -> DeliveryReport:
    """Deliver the outbox messages due at ``now``."""
    policy = retry_policy(runtime)
    return await deliver_due(runtime.sessions, runtime.senders, now=now, policy=policy)


@dataclass(frozen=True)
class ResourceSharingReport:
    #: Lending requests unfilled because their conditions' reply-by passed.
    expired: int
    #: Overdue messages sent to borrowers.
    overdue: int


async def resource_sharing_jobs(runtime: NodeRuntime, *, now: datetime) -> ResourceSharingReport:
    """Conditions past their reply-by expired, then overdue notices to borrowers, as of
    ``now``."""
    async with runtime.sessions() as session:
        expired = await expire_conditions(session, now=now)
    async with runtime.sessions() as session:
        overdue = await send_overdue_notices(session, now=now)
    return ResourceSharingReport(expired=len(expired), overdue=len(overdue))


def build_scheduler(runtime: NodeRuntime, *, clock: Clock | None = None) -> Scheduler:
    """The node's scheduler with every job whose period is set."""
    s = runtime.settings
    scheduler = Scheduler(
        runtime.engine, table=JOB_RUN, metrics=JobMetrics(runtime.metrics.registry), clock=clock
    )

    async def hold_shelf_job(*, now: datetime) -> tuple[int, int]:
        return await hold_shelf(runtime, now=now)

    async def loan_job(*, now: datetime) -> LoanJobsReport:
        return await loan_jobs(runtime, now=now)

    async def outbox_job(*, now: datetime) -> DeliveryReport:
        return await outbox_delivery(runtime, now=now)

    async def rs_job(*, now: datetime) -> ResourceSharingReport:
        return await resource_sharing_jobs(runtime, now=now)

    if s.hold_shelf_job_seconds > 0:
        scheduler.add(Job("hold-shelf", interval=s.hold_shelf_job_seconds, run=hold_shelf_job))
    if s.loan_jobs_seconds > 0:
        scheduler.add(Job("overdue-and-lost", interval=s.loan_jobs_seconds, run=loan_job))
    if s.outbox_delivery_seconds > 0:
        scheduler.add(Job("outbox-delivery", interval=s.outbox_delivery_seconds, run=outbox_job))
    if s.rs_jobs_seconds > 0:
        scheduler.add(Job("resource-sharing", interval=s.rs_jobs_seconds, run=rs_job))
    return scheduler
