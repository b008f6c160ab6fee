"""The kernel's job scheduler: on schedule with a moved clock, one runner between two
replicas sharing one PostgreSQL database, failures retried and counted in /metrics."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Callable
from datetime import UTC, datetime

import pytest
from prometheus_client import CollectorRegistry, generate_latest
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncEngine

from network_common.db import make_engine
from network_common.jobs import Job, ManualClock, RunAgain, RunOutcome, Scheduler
from network_common.migrate import upgrade
from network_common.observability import JobMetrics
from network_hub.store.migrate import HERE as HUB_MIGRATIONS
from network_hub.store.models import JOB_RUN
from tests.conftest import _create_pg_database, _drop_pg_database

T0 = datetime(2026, 5, 4, 8, 0, tzinfo=UTC)


async def _until(condition: Callable[[], bool], what: str) -> None:
    """Wait for ``condition`` (the scheduler runs in the background); a generous bound."""
    for _ in range(3000):
        if condition():
            return
        await asyncio.sleep(0.01)
    raise AssertionError(f"timed out waiting for {what}")


@pytest.fixture
async def engine(db_url: str) -> AsyncIterator[AsyncEngine]:
    engine = make_engine(db_url)
    await upgrade(engine, folder=HUB_MIGRATIONS)
    yield engine
    await engine.dispose()


class Counting:
    def __init__(self, *, fail: bool = False, again: float | None = None) -> None:
        self.times: list[datetime] = []
        self.active = 0
        self.most_active = 0
        self.fail = fail
        self.again = again
        self.release = asyncio.Event()
        self.release.set()

    async def __call__(self, *, now: datetime) -> RunAgain | None:
        self.active += 1
        self.most_active = max(self.most_active, self.active)
        try:
            self.times.append(now)
            await self.release.wait()
            await asyncio.sleep(0.01)  # let a second runner try while this one runs
            if self.fail:
                raise RuntimeError("the member was down")
            return RunAgain(self.again) if self.again is not None else None
        finally:
            self.active -= 1


async def test_a_job_runs_at_start_then_every_interval(engine: AsyncEngine) -> None:
    clock = ManualClock(T0)
    job = Counting()
    registry = CollectorRegistry()
    scheduler = Scheduler(engine, table=JOB_RUN, clock=clock, metrics=JobMetrics(registry))
    scheduler.add(Job("tick", interval=60, run=job))
    await scheduler.start()
    try:
        await _until(lambda: len(job.times) == 1 and clock.sleepers == 1, "the start-up run")
        await clock.advance(59)
        await asyncio.sleep(0.05)
        assert len(job.times) == 1  # not yet due
        await clock.advance(1)
        await _until(lambda: len(job.times) == 2 and clock.sleepers == 1, "the second run")
        assert [t.second for t in job.times] == [0, 0]
        assert (job.times[1] - job.times[0]).total_seconds() == 60
    finally:
        await scheduler.stop()
    text = generate_latest(registry).decode()
    assert 'job_runs_total{job="tick",outcome="ok"} 2.0' in text
    assert 'job_last_duration_seconds{job="tick"}' in text
    assert 'job_running{job="tick"} 0.0' in text
    async with engine.connect() as conn:
        row = (await conn.execute(select(JOB_RUN).where(JOB_RUN.c.name == "tick"))).one()
    assert (row.runs, row.last_status, row.next_due_at) == (2, "ok", T0.replace(minute=2))


async def test_a_failed_run_is_counted_and_retried_sooner(engine: AsyncEngine) -> None:
    clock = ManualClock(T0)
    job = Counting(fail=True)
    registry = CollectorRegistry()
    scheduler = Scheduler(engine, table=JOB_RUN, clock=clock, metrics=JobMetrics(registry))
    scheduler.add(Job("sync", interval=600, run=job, retry_seconds=30))
    await scheduler.start()
    try:
        await _until(lambda: len(job.times) == 1 and clock.sleepers == 1, "the first run")
        await clock.advance(30)
        await _until(lambda: len(job.times) == 2 and clock.sleepers == 1, "the retry")
        job.fail = False
        await clock.advance(30)
        await _until(lambda: len(job.times) == 3 and clock.sleepers == 1, "the second retry")
        await clock.advance(30)
        await asyncio.sleep(0.05)
        assert len(job.times) == 3  # back on its 600 s period
    finally:
        await scheduler.stop()
    text = generate_latest(registry).decode()
    assert 'job_runs_total{job="sync",outcome="failed"} 2.0' in text
    assert 'job_runs_total{job="sync",outcome="ok"} 1.0' in text
    async with engine.connect() as conn:
        row = (await conn.execute(select(JOB_RUN).where(JOB_RUN.c.name == "sync"))).one()
    assert (row.last_status, row.last_error) == ("ok", None)


async def test_run_again_and_start_up_only_jobs(engine: AsyncEngine) -> None:
    clock = ManualClock(T0)
    job = Counting(again=30)
    scheduler = Scheduler(engine, table=JOB_RUN, clock=clock)
    scheduler.add(Job("once", interval=0, run=job))  # at start-up only...
    await scheduler.start()
    try:
        await _until(lambda: len(job.times) == 1 and clock.sleepers == 1, "the start-up run")
        job.again = None  # ... but it asked to run again in 30 s; then it is done
        await clock.advance(30)
        await _until(lambda: len(job.times) == 2 and clock.sleepers == 0, "the repeat")
        await clock.advance(3600)
        await asyncio.sleep(0.05)
        assert len(job.times) == 2
    finally:
        await scheduler.stop()


async def test_stop_lets_a_running_job_finish_and_ends_the_sleeping_ones(
    engine: AsyncEngine,
) -> None:
    clock = ManualClock(T0)
    busy, idle = Counting(), Counting()
    busy.release.clear()
    scheduler = Scheduler(engine, table=JOB_RUN, clock=clock)
    scheduler.add(Job("busy", interval=60, run=busy))
    scheduler.add(Job("idle", interval=60, run=idle, run_at_start=False))
    await scheduler.start()
    await _until(lambda: busy.active == 1, "the busy job to start")
    stopping = asyncio.create_task(scheduler.stop())
    await asyncio.sleep(0.05)
    assert not stopping.done()  # waits for the running job
    busy.release.set()
    await stopping
    assert (len(busy.times), len(idle.times), busy.active) == (1, 0, 0)
    async with engine.connect() as conn:
        status = await conn.scalar(select(JOB_RUN.c.last_status).where(JOB_RUN.c.name == "busy"))
    assert status == "ok"


@pytest.mark.postgres
async def test_two_replicas_on_one_database_run_each_job_once_per_interval() -> None:
    """Two schedulers with their own engines (as two hub processes would have) share one
    PostgreSQL database: the advisory lock and the job_run row make exactly one runner."""
    url = await _create_pg_database()
    engines = [make_engine(url), make_engine(url)]
    try:
        await upgrade(engines[0], folder=HUB_MIGRATIONS)
        clock = ManualClock(T0)
        job = Counting()
        registries = [CollectorRegistry(), CollectorRegistry()]
        replicas = [
            Scheduler(e, table=JOB_RUN, clock=clock, metrics=JobMetrics(r), runner=f"replica-{i}")
            for i, (e, r) in enumerate(zip(engines, registries, strict=True))
        ]
        for replica in replicas:
            replica.add(Job("index-sync", interval=60, run=job))
        await asyncio.gather(*(r.start() for r in replicas))
        try:
            await _until(lambda: len(job.times) == 1 and clock.sleepers == 2, "start-up")
            for n in range(2, 7):
                await clock.advance(60)
                await _until(lambda n=n: len(job.times) == n and clock.sleepers == 2, f"run {n}")
            await asyncio.sleep(0.05)
        finally:
            for replica in replicas:
                await replica.stop()
        assert len(job.times) == 6  # once per interval, not once per replica
        assert job.most_active == 1  # never two at once
        assert len(set(job.times)) == 6
        ok = []
        for registry in registries:
            text = generate_latest(registry).decode()
            for line in text.splitlines():
                if line.startswith('job_runs_total{job="index-sync",outcome="ok"}'):
                    ok.append(float(line.split()[-1]))
        assert sum(ok) == 6
        # A forced run while the other replica holds the lock is refused, not doubled.
        job.release.clear()
        holder = asyncio.create_task(replicas[0].run_once("index-sync", force=True))
        await _until(lambda: job.active == 1, "the first replica to hold the job")
        assert await replicas[1].run_once("index-sync", force=True) is RunOutcome.LOCKED
        job.release.set()
        assert await holder is RunOutcome.OK
    finally:
        for engine in engines:
            await engine.dispose()
        await _drop_pg_database(url)
