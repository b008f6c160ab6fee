"""Engines and sessions: SQLite (WAL, synchronous=FULL, foreign keys) or PostgreSQL.

Dead PostgreSQL connections. A pooled connection whose server side went away (a restart,
``pg_terminate_backend``, an idle timeout) is found without a round trip: the server says
so and closes the socket, the event loop reads that while the connection waits in the pool,
and the checkout check below replaces it. ``pre_ping=True`` adds SQLAlchemy's ping instead
(three round trips per checkout on asyncpg: BEGIN, an empty statement, ROLLBACK). A
connection that dies between checkout and its first statement fails that statement;
:func:`read_only_unit` runs a read-only unit once more on a fresh connection then.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any, TypeVar

from sqlalchemy import event, exc
from sqlalchemy.engine import make_url
from sqlalchemy.ext.asyncio import (
    AsyncEngine,
    AsyncSession,
    async_sessionmaker,
    create_async_engine,
)

from network_common.errors import InvalidInput

READ_ONLY = "lfn_read_only"
#: Pooled PostgreSQL connections older than this are replaced at checkout (idle timeouts of
#: firewalls and poolers in between close connections silently).
POOL_RECYCLE_SECONDS = 1800

T = TypeVar("T")


def is_sqlite(url: str) -> bool:
    return make_url(url).get_backend_name() == "sqlite"


def make_engine(url: str, *, echo: bool = False, pre_ping: bool = True) -> AsyncEngine:
    """Create the engine for ``url``; SQLite connections get the durability pragmas.

    On PostgreSQL a pooled connection the server has closed is replaced at checkout (no
    round trip); ``pre_ping`` also pings every connection checked out (see above)."""
    kwargs: dict[str, Any] = {"echo": echo}
    if is_sqlite(url):
        # Writers wait for the lock instead of failing at once; BEGIN IMMEDIATE (below)
        # takes the write lock up front so two desks cannot both read-then-write.
        kwargs["connect_args"] = {"timeout": 30}
    else:
        kwargs["pool_size"] = 10
        kwargs["max_overflow"] = 20
        kwargs["pool_pre_ping"] = pre_ping
        kwargs["pool_recycle"] = POOL_RECYCLE_SECONDS
    engine = create_async_engine(url, **kwargs)
    if is_sqlite(url):
        _configure_sqlite(engine)
    else:
        _replace_closed_connections(engine)
    _refuse_nul_text(engine)
    return engine


def make_autocommit_engine(url: str, *, connections: int = 1) -> AsyncEngine:
    """A PostgreSQL engine for single-statement writes: each statement commits itself (one
    round trip: no BEGIN, no COMMIT), at most ``connections`` pooled, no pre-ping (a closed
    connection is replaced at checkout, as above; one that dies during its statement fails
    that statement, which is not repeated: it may have committed). The caller keeps each
    unit to one statement; SQLite has no such engine (see ``_configure_sqlite``)."""
    if is_sqlite(url):
        raise ValueError("autocommit engines are for PostgreSQL only")
    engine = create_async_engine(
        url,
        isolation_level="AUTOCOMMIT",
        pool_size=connections,
        max_overflow=0,
        pool_pre_ping=False,
        pool_recycle=POOL_RECYCLE_SECONDS,
    )
    _replace_closed_connections(engine)
    _refuse_nul_text(engine)
    return engine


def _replace_closed_connections(engine: AsyncEngine) -> None:
    @event.listens_for(engine.sync_engine, "checkout")
    def _on_checkout(_dbapi_conn: Any, record: Any, _proxy: Any) -> None:
        # asyncpg marks a connection closed as soon as the server's goodbye is read; the
        # pool then connects this slot afresh instead of handing out a dead connection.
        if record.driver_connection.is_closed():
            raise exc.DisconnectionError("the server closed this pooled connection")


async def read_only_unit(
    sessions: async_sessionmaker[AsyncSession], work: Callable[[AsyncSession], Awaitable[T]]
) -> T:
    """Run ``work`` in a new session of ``sessions``; when the database connection turns out
    dead during it, once more on a fresh one (harmless: the unit only reads)."""
    try:
        async with sessions() as session:
            return await work(session)
    except exc.DBAPIError as error:
        if not error.connection_invalidated:
            raise
    async with sessions() as session:
        return await work(session)


_NOT_TEXT = frozenset({int, float, bool, type(None)})


def _has_nul(value: Any) -> bool:
    kind = type(value)  # the common exact types first: this runs on every statement
    if kind is str:
        return "\x00" in value
    if kind in _NOT_TEXT:
        return False
    if isinstance(value, str):
        return "\x00" in value
    if isinstance(value, dict):
        return any(_has_nul(v) for v in value.values())
    if isinstance(value, list | tuple):
        return any(_has_nul(v) for v in value)
    return False


def refuse_nul_text(parameters: Any) -> None:
    """What every engine checks before a statement (below), for a statement sent on the
    driver's connection itself."""
    if _has_nul(parameters):
        raise InvalidInput("Text must not contain NUL characters")


def _refuse_nul_text(engine: AsyncEngine) -> None:
    """Text with a NUL character is refused as bad input before it reaches the database
    (PostgreSQL cannot store or even compare it, and would fail the statement)."""

    @event.listens_for(engine.sync_engine, "before_cursor_execute")
    def _check(
        _conn: Any, _cursor: Any, _statement: str, parameters: Any, _context: Any, _many: bool
    ) -> None:
        refuse_nul_text(parameters)


def _configure_sqlite(engine: AsyncEngine) -> None:
    @event.listens_for(engine.sync_engine, "connect")
    def _on_connect(dbapi_conn: Any, _record: Any) -> None:
        # Let SQLAlchemy, not the driver, manage transactions, so BEGIN IMMEDIATE works.
        dbapi_conn.isolation_level = None
        cursor = dbapi_conn.cursor()
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA synchronous=FULL")
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute("PRAGMA busy_timeout=30000")
        cursor.close()

    @event.listens_for(engine.sync_engine, "begin")
    def _on_begin(conn: Any) -> None:
        # Read-write transactions take the write lock at once: SQLite's equivalent of
        # SELECT ... FOR UPDATE, which keeps concurrent read-check-write sequences serial.
        # Read-only sessions (see make_sessionmaker) begin deferred and read a WAL snapshot
        # without waiting for writers.
        if conn.get_execution_options().get(READ_ONLY):
            conn.exec_driver_sql("BEGIN")
        else:
            conn.exec_driver_sql("BEGIN IMMEDIATE")


def make_sessionmaker(
    engine: AsyncEngine, *, read_only: bool = False, info: dict[str, Any] | None = None
) -> async_sessionmaker[AsyncSession]:
    """Sessions for units of work; ``read_only`` ones must not write. ``info`` is copied
    into each session's ``Session.info`` (what the app tells its services, e.g. that mail is
    on).

    Read-only sessions on SQLite begin deferred: they read one WAL snapshot and never queue
    behind writers. On PostgreSQL they run in autocommit: each statement is its own
    transaction, which is what a READ COMMITTED transaction (PostgreSQL's default) gives a
    reader anyway (every statement takes a new snapshot), without the BEGIN and ROLLBACK
    round trips around the unit."""
    if not read_only:
        bind = engine
    elif engine.dialect.name == "sqlite":
        bind = engine.execution_options(**{READ_ONLY: True})
    else:
        bind = engine.execution_options(**{READ_ONLY: True}, isolation_level="AUTOCOMMIT")
    return async_sessionmaker(bind, expire_on_commit=False, info=dict(info or {}))
