"""Group commit of privacy-ledger rows (issue 17).

Concurrent callers queue their rows and each awaits the flush that writes them: one INSERT of
every queued row in one transaction. The next flush starts as soon as one ends, with whatever
queued meanwhile. A caller returns only once its rows are committed (a caller is never shown
what its ledger rows did not record); a failed flush fails every caller of that batch with the
error the insert raised, and writes none of the batch's rows.

On PostgreSQL the hub gives the writer an autocommit engine of its own (one connection: the
flushes are sequential), and a batch of rows of one shape goes as one statement on its driver
connection: an INSERT of ``unnest()``ed column arrays, one text for any number of rows (one
prepared statement), one round trip, committed by itself and atomic as any single statement.
Before, a flush was six round trips (the main pool's pre-ping, BEGIN, INSERT, COMMIT) and
SQLAlchemy's execution around them: ~2 ms of the hub's CPU per Network Activity query
against real nodes, about a third of all it spent. Rows of mixed shapes, and SQLite, keep a
transaction.

The writer is that engine's only user, so it keeps the connection checked out between
flushes (``_HeldConnection``) instead of taking it from the pool and handing it back for each
(0.11 ms of CPU a flush, of 0.39): replaced when PostgreSQL has closed it, and after the
pool's recycle age, as the pool would.
"""

from __future__ import annotations

import asyncio
import contextlib
import time
from collections.abc import Sequence
from typing import Any, cast

from sqlalchemy import Table, insert
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine, AsyncSession, async_sessionmaker

from network_common.db import (
    POOL_RECYCLE_SECONDS,
    is_sqlite,
    make_autocommit_engine,
    refuse_nul_text,
)

from ..store.models import PrivacyLedgerEntry

_Waiter = tuple[Sequence[dict[str, object]], "asyncio.Future[list[int]]"]


#: What an insert returns of each row: its id, then what ``_checked`` matches it by.
_RETURNED = ("id", "patron_id", "actor_id", "from_member")


def _who(row: dict[str, object]) -> tuple[object, ...]:
    return tuple(row[k] for k in _RETURNED[1:])


def _checked(result: Any, rows: list[dict[str, object]]) -> list[int]:
    written = sorted((int(r[0]), (r[1], r[2], r[3])) for r in result)
    if [who for _, who in written] != [_who(row) for row in rows]:
        raise RuntimeError("privacy-ledger ids came back out of order")
    return [i for i, _ in written]


class _Unnest:
    """``INSERT INTO t (c...) SELECT * FROM unnest($1::type[], ...) RETURNING ...`` for rows
    with the keys ``keys``: the column arrays bound with each column's own bind processing
    (``UtcDateTime``'s check that a time is aware, ...)."""

    def __init__(self, engine: AsyncEngine, table: Table, keys: Sequence[str]) -> None:
        dialect = engine.dialect
        quote = dialect.identifier_preparer.quote
        columns = [table.c[k] for k in keys]
        arrays = ", ".join(
            f"${i}::{c.type.compile(dialect)}[]" for i, c in enumerate(columns, start=1)
        )
        back = ", ".join(quote(k) for k in _RETURNED)
        self.sql = (
            f"INSERT INTO {dialect.identifier_preparer.format_table(table)} "
            f"({', '.join(quote(k) for k in keys)}) SELECT * FROM unnest({arrays}) "
            f"RETURNING {back}"
        )
        self.keys = tuple(keys)
        self.processors = [c.type.bind_processor(dialect) for c in columns]

    def arrays(self, rows: list[dict[str, object]]) -> list[list[object]]:
        out = []
        for key, process in zip(self.keys, self.processors, strict=True):
            column = [row[key] for row in rows]
            out.append(column if process is None else [process(v) for v in column])
        refuse_nul_text(out)
        return out


class _HeldConnection:
    """One connection of ``engine``, checked out once and kept (see above)."""

    def __init__(self, engine: AsyncEngine) -> None:
        self.engine = engine
        self._connection: AsyncConnection | None = None
        self._driver: Any = None
        self._since = 0.0

    async def driver(self) -> Any:
        """The asyncpg connection, a fresh one if the kept one is closed or too old."""
        if self._driver is not None and (
            self._driver.is_closed() or time.monotonic() - self._since > POOL_RECYCLE_SECONDS
        ):
            await self.release()
        if self._driver is None:
            connection = await self.engine.connect()
            try:
                driver = (await connection.get_raw_connection()).driver_connection
            except BaseException:
                await connection.close()
                raise
            self._connection, self._driver, self._since = connection, driver, time.monotonic()
        return self._driver

    async def release(self) -> None:
        """Back to the pool (invalidated there if PostgreSQL closed it)."""
        connection, driver = self._connection, self._driver
        self._connection = self._driver = None
        if connection is None:
            return
        with contextlib.suppress(Exception):
            if driver is None or driver.is_closed():
                await connection.invalidate()
            await connection.close()


class LedgerWriter:
    def __init__(
        self,
        sessions: async_sessionmaker[AsyncSession],
        *,
        autocommit: AsyncEngine | None = None,
    ) -> None:
        """``autocommit``: an engine whose statements commit themselves (see above)."""
        self._sessions = sessions
        self._autocommit = autocommit
        if autocommit is not None and autocommit.dialect.driver != "asyncpg":
            raise ValueError("the ledger's autocommit engine must use asyncpg")
        self._held = None if autocommit is None else _HeldConnection(autocommit)
        self._statements: dict[tuple[str, ...], _Unnest] = {}
        self._queue: list[_Waiter] = []
        self._flusher: asyncio.Task[None] | None = None
        self._closed = False

    @classmethod
    def for_database(cls, url: str, sessions: async_sessionmaker[AsyncSession]) -> LedgerWriter:
        """The hub's writer for the database at ``url`` (``sessions`` are on it): on
        PostgreSQL with an autocommit engine of its own (closed with the writer)."""
        return cls(sessions, autocommit=None if is_sqlite(url) else make_autocommit_engine(url))

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
        """The rows in one statement (see above), else one multi-row INSERT in a transaction;
        their ids in order.

        The ids come back in the rows' order, ascending (``sort_by_parameter_order`` would
        make SQLite send one statement per row); they are checked against each row, so no
        caller is handed another's rows (in a transaction, before its commit; a statement
        that committed itself with ids out of order, never seen, fails its callers after the
        rows are in: an over-record, never a lost one). Rows of one shape (every ``entries``
        row) otherwise go as Core's insert of the table on a connection of the engine: the
        ORM's session and bulk insert around it were over a tenth of the hub's CPU per Network
        Activity query. Rows of mixed shapes take the ORM's path, which applies each row's
        own defaults."""
        t = PrivacyLedgerEntry
        table = cast(Table, t.__table__)
        shape = rows[0].keys()
        same_shape = all(row.keys() == shape for row in rows)
        if self._held is not None and same_shape:
            return _checked(await self._unnest(self._held, table, rows), rows)
        returning = tuple(table.c[k] for k in _RETURNED)
        engine = self._sessions.kw.get("bind")
        if isinstance(engine, AsyncEngine) and same_shape:
            async with engine.begin() as connection:
                statement = insert(table).returning(*returning)
                return _checked(await connection.execute(statement, rows), rows)
        async with self._sessions() as session, session.begin():
            return _checked(await session.execute(insert(t).returning(*returning), rows), rows)

    async def _unnest(
        self, held: _HeldConnection, table: Table, rows: list[dict[str, object]]
    ) -> list[Any]:
        keys = tuple(rows[0])
        statement = self._statements.get(keys)
        if statement is None:
            statement = self._statements[keys] = _Unnest(held.engine, table, keys)
        arrays = statement.arrays(rows)
        driver = await held.driver()  # a fresh one if PostgreSQL closed the kept one
        return cast(list[Any], await driver.fetch(statement.sql, *arrays))

    async def close(self) -> None:
        """Refuse new rows; wait for the queued ones to be written."""
        self._closed = True
        if self._flusher is not None:
            with contextlib.suppress(Exception):
                await asyncio.shield(self._flusher)
        if self._held is not None:
            await self._held.release()
        if self._autocommit is not None:
            await self._autocommit.dispose()
