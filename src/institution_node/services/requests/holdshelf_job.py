"""The ``expire-holds`` command: remind patrons of holds about to expire, then expire the
overdue ones (item home or to the next request, Cancel Request letter). ``serve`` runs the
same as its ``hold-shelf`` job (``NODE_HOLD_SHELF_JOB_SECONDS``); the command is for a
node that runs it from cron instead. Running it twice does nothing twice. Letters it
writes are e-mailed by the node's outbox delivery when mail is configured."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from institution_node.store.migrate import upgrade
from network_common.db import make_engine, make_sessionmaker

from .holdshelf import send_hold_shelf_reminders
from .lifecycle import expire_hold_shelf


@dataclass(frozen=True, slots=True)
class JobReport:
    reminders: int
    expired: list[int]


async def run(
    database_url: str, *, now: datetime | None = None, info: dict[str, Any] | None = None
) -> JobReport:
    """Run the job once against ``database_url`` (``info``: the node's session info)."""
    engine = make_engine(database_url)
    try:
        await upgrade(engine)
        async with make_sessionmaker(engine, info=info)() as session:
            reminders = await send_hold_shelf_reminders(session, now=now)
            expired = await expire_hold_shelf(session, now=now)
    finally:
        await engine.dispose()
    return JobReport(reminders=reminders, expired=expired)
