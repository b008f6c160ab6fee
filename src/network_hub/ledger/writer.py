"""Group commit of privacy-ledger rows (issue 17).

Concurrent callers queue their rows and each awaits the flush that writes them: one INSERT of
every queued row in one transaction. The next flush starts as soon as one ends, with whatever
queued meanwhile. A caller returns only once its rows are committed (a caller is never shown
what its ledger rows did not record); a failed flush fails every caller of that batch with the
error the insert raised, and writes none of the batch's rows.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Sequence
from typing import cast

from sqlalchemy import Table, insert
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from ..store.models import PrivacyLedgerEntry

_Waiter = tuple[Sequence[dict[str, object]], "asyncio.Future[list[int]]"]


def _who(row: dict[str, object]) -> tuple[object, ...]:
    return (row["patron_id"], row["actor_id"], row["from_member"])


class LedgerWriter:
    def __init__(self, sessions: async_sessionmaker[AsyncSession]) -> None:
        self._sessions = sessions
        self._queue: list[_Waiter] = []
        self._flusher: asyncio.Task[None] | None = None
        self._closed = False

    async def write(self, rows: Sequence[dict[str, object]]) -> list[int]:
        """Write ``rows`` with the next flush; their ids, in order, once committed."""
        if self._closed:
            raise RuntimeError("the ledger writer is closed")
        if not rows:
            return []
        done: asyncio.Future[list[int]] = asyncio.get_running_loop().create_future()
        self._queue.append((rows, done))
        if self._flusher is None:
            self._flusher = asyncio.create_task(self._flush_all(), name="ledger-writer")
        # Shielded: a caller that gives up still has its rows written (and none lost).
        return await asyncio.shield(done)

    async def _flush_all(self) -> None:
        try:
            while self._queue:
                batch, self._queue = self._queue, []
                await self._flush(batch)
        finally:
            self._flusher = None

    async def _flush(self, batch: list[_Waiter]) -> None:
        rows = [row for rows, _ in batch for row in rows]
        t = PrivacyLedgerEntry
        try:
            async with self._sessions() as session, session.begin():
                # One multi-row INSERT (``sort_by_parameter_order`` would make SQLite send one
                # statement per row): the ids are given in VALUES order, ascending; checked
                # against each row before the commit, so no caller is handed another's rows.
                # Rows of one shape (every ``entries`` row) go through Core's insert of the
                # table: the ORM's bulk insert around it was ~10% of the hub's CPU per
                # Network Activity query. Rows of mixed shapes take the ORM's path, which
                # applies each row's own defaults.
                shape = rows[0].keys()
                target = cast(Table, t.__table__) if all(row.keys() == shape for row in rows) else t
                returning = (t.id, t.patron_id, t.actor_id, t.from_member)
                result = await session.execute(insert(target).returning(*returning), rows)
                written = sorted((int(r[0]), (r[1], r[2], r[3])) for r in result)
                if [who for _, who in written] != [_who(row) for row in rows]:
                    raise RuntimeError("privacy-ledger ids came back out of order")
                ids = [i for i, _ in written]
        except BaseException as exc:
            for _, done in batch:
                if not done.done():
                    done.set_exception(exc)
            if not isinstance(exc, Exception):
                raise
            return
        start = 0
        for waiter_rows, done in batch:
            end = start + len(waiter_rows)
            if not done.done():
                done.set_result(ids[start:end])
            start = end

    async def close(self) -> None:
        """Refuse new rows; wait for the queued ones to be written."""
        self._closed = True
        if self._flusher is not None:
            with contextlib.suppress(Exception):
                await asyncio.shield(self._flusher)
