"""``job_run``: each job's last run, shared by the replicas using one database."""

from __future__ import annotations

from sqlalchemy import Column, Float, Integer, MetaData, String, Table, Text

from network_common.models_base import UtcDateTime


def job_run_table(metadata: MetaData) -> Table:
    """The ``job_run`` table on ``metadata`` (each app's models call this once)."""
    if "job_run" in metadata.tables:
        return metadata.tables["job_run"]
    return Table(
        "job_run",
        metadata,
        Column("name", String(64), primary_key=True),
        Column("last_started_at", UtcDateTime, nullable=True),
        #: When the job is next due (a run sets it: interval, retry or RunAgain).
        Column("next_due_at", UtcDateTime, nullable=True),
        Column("last_finished_at", UtcDateTime, nullable=True),
        Column("last_status", String(16), nullable=True),
        Column("last_error", Text, nullable=True),
        Column("last_duration_seconds", Float, nullable=True),
        Column("runner", String(128), nullable=True),
        Column("runs", Integer, nullable=False, default=0),
    )
