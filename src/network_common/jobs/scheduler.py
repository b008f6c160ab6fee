"""The scheduler: one task per job, sleeping on the clock, running under the job's lock."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import socket
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum
from typing import Any

from sqlalchemy import Table, insert, select, update
from sqlalchemy.ext.asyncio import AsyncEngine

from network_common.observability import JobMetrics

from .clock import Clock, SystemClock
from .locks import LocalJobLock, PostgresAdvisoryLock, lock_for

log = logging.getLogger("network_common.jobs")

#: How soon a failed run is tried again (at most; never later than the interval).
DEFAULT_RETRY_SECONDS = 60.0
_ERROR_MAX = 2000


@dataclass(frozen=True, slots=True)
class RunAgain:
    """Returned by a job: run again after ``seconds`` instead of the interval."""

    seconds: float


@dataclass(frozen=True, slots=True)
class Job:
    name: str
    #: Seconds between runs; 0 = only at start-up (``run_at_start``) or never.
    interval: float
    run: Callable[..., Awaitable[Any]]
    run_at_start: bool = True
    retry_seconds: float | None = None

    def retry_delay(self) -> float:
        if self.retry_seconds is not None:
            return self.retry_seconds
        return min(self.interval or DEFAULT_RETRY_SECONDS, DEFAULT_RETRY_SECONDS)


class RunOutcome(StrEnum):
    OK = "ok"
    FAILED = "failed"
    LOCKED = "locked"  # another runner holds the job right now
    NOT_DUE = "not_due"  # another runner (replica) ran it this interval


class Scheduler:
    def __init__(
        self,
        engine: AsyncEngine,
        *,
        table: Table,
        metrics: JobMetrics | None = None,
        clock: Clock | None = None,
        lock: LocalJobLock | PostgresAdvisoryLock | None = None,
        runner: str | None = None,
    ) -> None:
        self._engine = engine
        self._table = table
        self.metrics = metrics
        self.clock: Clock = clock or SystemClock()
        self._lock = lock or lock_for(engine)
        self.runner = runner or f"{socket.gethostname()}:{os.getpid()}"
        self._jobs: dict[str, Job] = {}
        self._tasks: list[asyncio.Task[None]] = []
        self._running: set[str] = set()
        self._stopping = False

    def add(self, job: Job) -> None:
        if job.name in self._jobs:
            raise ValueError(f"job {job.name!r} is already registered")
        if job.interval < 0:
            raise ValueError("a job's interval cannot be negative")
        self._jobs[job.name] = job

    @property
    def jobs(self) -> dict[str, Job]:
        return dict(self._jobs)

    async def run_once(self, name: str, *, force: bool = False) -> RunOutcome:
        """Run job ``name`` now if it is due (``force``: even if not) and nobody else runs it."""
        outcome, _ = await self._run(self._jobs[name], force=force)
        return outcome

    async def start(self) -> None:
        """Start one task per job (from the app's lifespan start-up)."""
        self._stopping = False
        for job in self._jobs.values():
            if job.interval > 0 or job.run_at_start:
                self._tasks.append(asyncio.create_task(self._loop(job), name=f"job:{job.name}"))

    async def stop(self, grace_seconds: float = 30.0) -> None:
        """Stop the loops: sleeping jobs end now, a running job gets ``grace_seconds`` to
        finish (then it is cancelled)."""
        self._stopping = True
        for task in self._tasks:
            if task.get_name().removeprefix("job:") not in self._running:
                task.cancel()
        if self._tasks:
            _, pending = await asyncio.wait(self._tasks, timeout=grace_seconds)
            for task in pending:
                task.cancel()
            for task in self._tasks:
                with contextlib.suppress(asyncio.CancelledError):
                    await task
        self._tasks.clear()

    async def _loop(self, job: Job) -> None:
        delay: float | None = 0.0 if job.run_at_start else job.interval
        while delay is not None and not self._stopping:
            await self.clock.sleep(delay)
            if self._stopping:
                return
            self._running.add(job.name)
            try:
                _, delay = await self._run(job, force=False)
            except Exception:  # the loop itself (its database) failed: try again later
                log.exception("job %s: scheduler error", job.name)
                delay = job.retry_delay()
            finally:
                self._running.discard(job.name)

    async def _run(self, job: Job, *, force: bool) -> tuple[RunOutcome, float | None]:
        """Run under the lock; the outcome and the seconds until the loop looks again."""
        poll = min(job.interval, DEFAULT_RETRY_SECONDS) if job.interval > 0 else None
        async with self._lock.hold(job.name) as mine:
            if not mine:
                self._observe(job.name, RunOutcome.LOCKED)
                return RunOutcome.LOCKED, poll
            now = self.clock.now()
            if not force:
                due = await self._next_due(job.name)
                if due is not None and due > now:
                    self._observe(job.name, RunOutcome.NOT_DUE)
                    return RunOutcome.NOT_DUE, (due - now).total_seconds()
            return await self._execute(job, now)

    async def _execute(self, job: Job, now: datetime) -> tuple[RunOutcome, float | None]:
        started = time.perf_counter()
        await self._record(job.name, now, next_due=now + timedelta(seconds=job.retry_delay()))
        if self.metrics:
            self.metrics.running.labels(job.name).set(1)
        error: str | None = None
        result: Any = None
        try:
            result = await job.run(now=now)
        except Exception as exc:  # a failed run is counted and retried, never fatal
            log.exception("job %s failed", job.name)
            error = (str(exc) or exc.__class__.__name__)[:_ERROR_MAX]
        finally:
            if self.metrics:
                self.metrics.running.labels(job.name).set(0)
        duration = time.perf_counter() - started
        delay: float | None
        if error is not None:
            outcome, delay = RunOutcome.FAILED, job.retry_delay()
        else:
            outcome = RunOutcome.OK
            delay = result.seconds if isinstance(result, RunAgain) else (job.interval or None)
        next_due = now + timedelta(seconds=delay) if delay is not None else None
        await self._finish(job.name, outcome, error=error, duration=duration, next_due=next_due)
        self._observe(job.name, outcome, duration=duration)
        return outcome, delay

    def _observe(self, name: str, outcome: RunOutcome, *, duration: float | None = None) -> None:
        if self.metrics is not None:
            self.metrics.observe(name, outcome.value, duration)

    async def _next_due(self, name: str) -> datetime | None:
        t = self._table
        async with self._engine.connect() as conn:
            due: datetime | None = await conn.scalar(
                select(t.c.next_due_at).where(t.c.name == name)
            )
        return due

    async def _record(self, name: str, now: datetime, *, next_due: datetime) -> None:
        t = self._table
        values = {
            "last_started_at": now,
            "next_due_at": next_due,
            "last_status": "running",
            "runner": self.runner[:128],
        }
        async with self._engine.begin() as conn:
            done = await conn.execute(update(t).where(t.c.name == name).values(**values))
            if not done.rowcount:
                await conn.execute(insert(t).values(name=name, runs=0, **values))

    async def _finish(
        self,
        name: str,
        outcome: RunOutcome,
        *,
        error: str | None,
        duration: float,
        next_due: datetime | None,
    ) -> None:
        t = self._table
        async with self._engine.begin() as conn:
            await conn.execute(
                update(t)
                .where(t.c.name == name)
                .values(
                    last_finished_at=self.clock.now(),
                    last_status=outcome.value,
                    last_error=error,
                    last_duration_seconds=duration,
                    next_due_at=next_due,
                    runs=t.c.runs + 1,
                )
            )
