"""Scheduled jobs inside the apps: named jobs on intervals, one runner at a time.

Each app builds a :class:`Scheduler` in its runtime, registers its jobs and starts it from
its Starlette lifespan (``start()`` / ``stop()``)::

    scheduler = Scheduler(engine, table=job_run_table(Base.metadata), metrics=JobMetrics(registry))
    scheduler.add(Job("hold-shelf", interval=3600, run=hold_shelf_job))  # run(now=...)
    await scheduler.start()   # lifespan start-up
    await scheduler.stop()    # lifespan shut-down: sleeping jobs end, a running job finishes

- A job is ``async def run(*, now: datetime) -> RunAgain | object``: ``now`` comes from the
  scheduler's clock (:class:`SystemClock`, or :class:`ManualClock` in tests). Returning
  ``RunAgain(seconds)`` asks for the next run sooner (e.g. members that did not answer).
- **One runner at a time, once per interval**, across replicas: on PostgreSQL a run holds
  the advisory lock of its job name (``pg_try_advisory_lock``; a replica that does not get
  it skips), and under the lock the job's row in ``job_run`` (last start, finish, status,
  error, duration, runner) says whether another replica already ran it this interval. On
  SQLite the app is a single process (SQLite allows no second writer process anyway): an
  in-process lock and the same table.
- ``interval`` 0 means: only at start-up (when ``run_at_start``), else never.
- Metrics (``observability.JobMetrics``): ``job_runs_total{job,outcome}`` (``ok``,
  ``failed``, ``locked`` = another runner holds it, ``not_due`` = another replica ran it),
  ``job_last_run_timestamp_seconds``, ``job_last_success_timestamp_seconds``,
  ``job_last_duration_seconds``, ``job_running``.
"""

from .clock import Clock, ManualClock, SystemClock
from .locks import JobLock, LocalJobLock, PostgresAdvisoryLock, advisory_key, lock_for
from .scheduler import Job, RunAgain, RunOutcome, Scheduler
from .table import job_run_table

__all__ = [
    "Clock",
    "Job",
    "JobLock",
    "LocalJobLock",
    "ManualClock",
    "PostgresAdvisoryLock",
    "RunAgain",
    "RunOutcome",
    "Scheduler",
    "SystemClock",
    "advisory_key",
    "job_run_table",
    "lock_for",
]
