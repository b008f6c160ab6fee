"""How long the privacy ledger keeps its rows (``HUB_LEDGER_RETENTION_DAYS``; 0 keeps them
for ever, the default: DOMAIN has no rule, and a row once gone cannot be shown to the
patron again). The hub's ``ledger-retention`` job runs ``prune`` hourly.

Rows go oldest first, in batches of one short transaction each: the rows are read in id
order from the start and the run of them older than the cutoff is deleted (the DELETE checks
the age again, so a row committed meanwhile is never taken). A row older than the cutoff
that sits behind a younger one (clocks of two replicas a little apart) waits for the next
run: rows can only go late, never early. A run that finds nothing to do reads one row.
"""

from __future__ import annotations

import itertools
import logging
from datetime import datetime

from sqlalchemy import delete, select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from ..store.models import PrivacyLedgerEntry as Entry

log = logging.getLogger(__name__)

#: Rows removed per transaction.
BATCH = 5000


async def prune(
    sessions: async_sessionmaker[AsyncSession], *, older_than: datetime, batch: int = BATCH
) -> int:
    """Delete the ledger's rows written before ``older_than``; how many went."""
    removed = 0
    while True:
        async with sessions() as session, session.begin():
            head = (
                await session.execute(select(Entry.id, Entry.at).order_by(Entry.id).limit(batch))
            ).all()
            old = list(itertools.takewhile(lambda row: row.at < older_than, head))
            if old:
                await session.execute(
                    delete(Entry)
                    .where(Entry.id <= old[-1].id, Entry.at < older_than)
                    .execution_options(synchronize_session=False)
                )
        removed += len(old)
        if len(old) < batch:
            break
    if removed:
        log.info("privacy ledger: %d rows older than %s removed", removed, older_than.isoformat())
    return removed
