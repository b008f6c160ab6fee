"""The hub's scheduled jobs, started by the app's lifespan (``app.py``).

``index-sync``: every HUB_INDEX_SYNC_SECONDS (and at start-up with HUB_SYNC_INDEX_ON_START);
members that did not answer are asked again after RETRY_SECONDS. Between runs the change
feeds (HUB_LINK_FEED_SECONDS, services/index_sync.py) keep the index fresh in every replica;
a member the feed poller finds being synced here is left to this sync. ``partner-sync``
(each member's resource sharing directory from the network file) runs on the index sync's
schedule. ``ledger-retention`` (with HUB_LEDGER_RETENTION_DAYS) removes the privacy
ledger's rows older than that, hourly and at start-up (ledger/retention.py). With several
replicas one of them runs each per period (the kernel's scheduler holds a lock in the hub's
database).
"""

from __future__ import annotations

from datetime import datetime, timedelta

from network_common.jobs import Job, RunAgain, Scheduler
from network_common.observability import JobMetrics

from .ledger.retention import prune
from .resource_sharing.partners_sync import sync_partners
from .runtime import HubRuntime
from .services.index_sync import sync_index
from .store.models import JOB_RUN

#: How soon a sync that missed members is tried again.
RETRY_SECONDS = 30.0
#: How often the ledger's old rows are looked for.
RETENTION_SECONDS = 3600.0


def build_scheduler(*, runtime: HubRuntime) -> Scheduler:
    """The hub's jobs for ``runtime``, not started."""
    scheduler = Scheduler(
        runtime.engine, table=JOB_RUN, metrics=JobMetrics(runtime.metrics.registry)
    )
    s = runtime.settings
    retry = min(RETRY_SECONDS, s.index_sync_seconds or RETRY_SECONDS)

    async def index_sync(*, now: datetime) -> RunAgain | None:
        counts = await sync_index(runtime=runtime)
        if any(c is None for c in counts.values()):
            # Members still starting (or down) are asked again soon, not in ten minutes.
            return RunAgain(retry)
        return None

    async def partner_sync(*, now: datetime) -> RunAgain | None:
        reports = await sync_partners(runtime=runtime)
        return RunAgain(retry) if any(r is None for r in reports.values()) else None

    async def ledger_retention(*, now: datetime) -> None:
        await prune(runtime.sessions, older_than=now - timedelta(days=s.ledger_retention_days))

    if s.ledger_retention_days > 0:
        scheduler.add(Job("ledger-retention", interval=RETENTION_SECONDS, run=ledger_retention))
    at_start = s.sync_index_on_start
    if at_start or s.index_sync_seconds > 0:
        scheduler.add(
            Job(
                "partner-sync",
                interval=s.index_sync_seconds,
                run=partner_sync,
                run_at_start=at_start,
                retry_seconds=retry,
            )
        )
        scheduler.add(
            Job(
                "index-sync",
                interval=s.index_sync_seconds,
                run=index_sync,
                run_at_start=at_start,
                retry_seconds=retry,
            )
        )
    return scheduler
