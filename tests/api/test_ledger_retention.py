"""The privacy ledger's retention (HUB_LEDGER_RETENTION_DAYS) on both backends: the hub's
``ledger-retention`` job removes the rows older than the setting, oldest first in batches,
and nothing younger; none is removed without the setting; a setting shorter than the
walk-in window (whose rate limit counts the ledger) is refused at start."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from pydantic import ValidationError
from sqlalchemy import select

from network_common.jobs import RunOutcome
from network_hub.jobs import build_scheduler
from network_hub.ledger.retention import prune
from network_hub.runtime import HubRuntime
from network_hub.settings import HubSettings
from network_hub.store.migrate import upgrade
from network_hub.store.models import PrivacyLedgerEntry

NOW = datetime.now(UTC)


async def _hub(tmp_path: Path, db_url: str, **settings: Any) -> HubRuntime:
    runtime = HubRuntime.create(
        HubSettings(data_dir=tmp_path, database_url=db_url, **settings), members=[]
    )
    await upgrade(runtime.engine)
    return runtime


@pytest.fixture
async def hub(tmp_path: Path, db_url: str) -> AsyncIterator[HubRuntime]:
    runtime = await _hub(tmp_path, db_url, ledger_retention_days=30)
    yield runtime
    await runtime.close()


def _row(patron: str, age: timedelta) -> PrivacyLedgerEntry:
    return PrivacyLedgerEntry(
        at=NOW - age,
        kind="NETWORK_ACTIVITY",
        patron_institution="UNIA",
        patron_id=patron,
        actor_kind="STAFF",
        actor_institution="UNIA",
        actor_id="unia-admin",
        from_member="UNIB",
        to_member="UNIA",
        fields="loans requests fees",
        purpose="Network Activity viewed by home staff",
    )


async def _add(runtime: HubRuntime, rows: list[PrivacyLedgerEntry]) -> None:
    async with runtime.sessions() as session:
        for row in rows:  # one by one: ids in this order
            session.add(row)
            await session.flush()
        await session.commit()


async def _left(runtime: HubRuntime) -> list[str]:
    async with runtime.sessions() as session:
        t = PrivacyLedgerEntry
        return list(await session.scalars(select(t.patron_id).order_by(t.id)))


async def test_the_job_removes_what_is_older_than_the_setting(hub: HubRuntime) -> None:
    days = timedelta(days=1)
    await _add(
        hub,
        [_row(f"old-{n}", 40 * days + n * timedelta(minutes=1)) for n in range(7)]
        + [_row("just-young", 29 * days), _row("late-old", 31 * days), _row("new", timedelta(0))],
    )
    scheduler = build_scheduler(runtime=hub)
    assert await scheduler.run_once("ledger-retention", force=True) is RunOutcome.OK
    # The old run went; an old row behind a younger one waits (late, never early).
    assert await _left(hub) == ["just-young", "late-old", "new"]
    assert await scheduler.run_once("ledger-retention", force=True) is RunOutcome.OK
    assert await _left(hub) == ["just-young", "late-old", "new"]


async def test_batches_go_oldest_first_until_a_young_row(hub: HubRuntime) -> None:
    await _add(
        hub, [_row(f"old-{n}", timedelta(days=60)) for n in range(11)] + [_row("new", timedelta(0))]
    )
    removed = await prune(hub.sessions, older_than=NOW - timedelta(days=30), batch=3)
    assert removed == 11
    assert await _left(hub) == ["new"]
    assert await prune(hub.sessions, older_than=NOW - timedelta(days=30), batch=3) == 0


async def test_without_the_setting_nothing_is_removed(tmp_path: Path, db_url: str) -> None:
    runtime = await _hub(tmp_path, db_url)
    try:
        await _add(runtime, [_row("ancient", timedelta(days=4000))])
        scheduler = build_scheduler(runtime=runtime)
        assert "ledger-retention" not in scheduler.jobs
        assert await _left(runtime) == ["ancient"]
    finally:
        await runtime.close()


def test_retention_shorter_than_the_walk_in_window_is_refused(tmp_path: Path) -> None:
    with pytest.raises(ValidationError, match="HUB_WALK_IN_LOOKUP_WINDOW_SECONDS"):
        HubSettings(
            data_dir=tmp_path, ledger_retention_days=1, walk_in_lookup_window_seconds=2 * 86_400
        )
    assert HubSettings(data_dir=tmp_path, ledger_retention_days=2).ledger_retention_days == 2
