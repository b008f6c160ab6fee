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
from typing import Any, cast

from sqlalchemy import Table, insert
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker

from ..store.models import PrivacyLedgerEntry

_Waiter = tuple[Sequence[dict[str, object]], "asyncio.Future[list[int]]"]


def _who(row: dict[str, object]) -> tuple[object, ...]:
    return (row["patron_id"], row["actor_id"], row["from_member"])


def _checked(result: Any, rows: list[dict[str, object]]) -> list[int]:
    written = sorted((int(r[0]), (r[1], r[2], r[3])) for r in result)
    if [who for _, who in written] != [_who(row) for row in rows]:
        raise RuntimeError("privacy-ledger ids came back out of order")
    return [i for i, _ in written]


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
        try:
            ids = await self._insert(rows)
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

    async def _insert(self, rows: list[dict[str, object]]) -> list[int]:
        """One multi-row INSERT in its own transaction; the rows' ids in order.

        The ids come back in VALUES order, ascending (``sort_by_parameter_order`` would make
        SQLite send one statement per row); they are checked against each row before the
        commit, so no caller is handed another's rows. Rows of one shape (every ``entries``
        row) go as Core's insert of the table on a connection of the engine: the ORM's
        session and bulk insert around it were over a tenth of the hub's CPU per Network
        Activity query. Rows of mixed shapes take the ORM's path, which applies each row's
        own defaults."""
        t = PrivacyLedgerEntry
        returning = (t.id, t.patron_id, t.actor_id, t.from_member)
        shape = rows[0].keys()
        engine = self._sessions.kw.get("bind")
        if isinstance(engine, AsyncEngine) and all(row.keys() == shape for row in rows):
            async with engine.begin() as connection:
                table = cast(Table, t.__table__)
                statement = insert(table).returning(*returning)
                return _checked(await connection.execute(statement, rows), rows)
        async with self._sessions() as session, session.begin():
            return _checked(await session.execute(insert(t).returning(*returning), rows), rows)

    async def close(self) -> None:
        """Refuse new rows; wait for the queued ones to be written."""
        self._closed = True
        if self._flusher is not None:
            with contextlib.suppress(Exception):
                await asyncio.shield(self._flusher)
