"""The ``expire-holds`` job: remind patrons of holds about to expire, then expire the
overdue ones (item home or to the next request, Cancel Request letter). Run it from cron
or a systemd timer, e.g. hourly; running it twice does nothing twice."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from institution_node.store.migrate import upgrade
from network_common.db import make_engine, make_sessionmaker

from .holdshelf import send_hold_shelf_reminders
from .lifecycle import expire_hold_shelf


@dataclass(frozen=True, slots=True)
class JobReport:
    reminders: int
    expired: list[int]


async def run(database_url: str, *, now: datetime | None = None) -> JobReport:
    """Run the job once against ``database_url``."""
    engine = make_engine(database_url)
    try:
        await upgrade(engine)
        async with make_sessionmaker(engine)() as session:
            reminders = await send_hold_shelf_reminders(session, now=now)
            expired = await expire_hold_shelf(session, now=now)
    finally:
        await engine.dispose()
    return JobReport(reminders=reminders, expired=expired)
