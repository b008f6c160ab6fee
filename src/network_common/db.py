"""Engines and sessions: SQLite (WAL, synchronous=FULL, foreign keys) or PostgreSQL."""

from __future__ import annotations

from typing import Any

from sqlalchemy import event
from sqlalchemy.engine import make_url
from sqlalchemy.ext.asyncio import (
    AsyncEngine,
    AsyncSession,
    async_sessionmaker,
    create_async_engine,
)

from network_common.errors import InvalidInput

READ_ONLY = "lfn_read_only"


def is_sqlite(url: str) -> bool:
    return make_url(url).get_backend_name() == "sqlite"


def make_engine(url: str, *, echo: bool = False) -> AsyncEngine:
    """Create the engine for ``url``; SQLite connections get the durability pragmas."""
    kwargs: dict[str, Any] = {"echo": echo}
    if is_sqlite(url):
        # Writers wait for the lock instead of failing at once; BEGIN IMMEDIATE (below)
        # takes the write lock up front so two desks cannot both read-then-write.
        kwargs["connect_args"] = {"timeout": 30}
    else:
        kwargs["pool_size"] = 10
        kwargs["max_overflow"] = 20
        kwargs["pool_pre_ping"] = True
    engine = create_async_engine(url, **kwargs)
    if is_sqlite(url):
        _configure_sqlite(engine)
    _refuse_nul_text(engine)
    return engine


def _has_nul(value: Any) -> bool:
    if isinstance(value, str):
        return "\x00" in value
    if isinstance(value, dict):
        return any(_has_nul(v) for v in value.values())
    if isinstance(value, list | tuple):
        return any(_has_nul(v) for v in value)
    return False


def _refuse_nul_text(engine: AsyncEngine) -> None:
    """Text with a NUL character is refused as bad input before it reaches the database
    (PostgreSQL cannot store or even compare it, and would fail the statement)."""

    @event.listens_for(engine.sync_engine, "before_cursor_execute")
    def _check(
        _conn: Any, _cursor: Any, _statement: str, parameters: Any, _context: Any, _many: bool
    ) -> None:
        if _has_nul(parameters):
            raise InvalidInput("Text must not contain NUL characters")


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
    """Sessions for units of work; ``read_only`` ones must not write (on SQLite they do not
    take the write lock, so reads never queue behind writers). ``info`` is copied into each
    session's ``Session.info`` (what the app tells its services, e.g. that mail is on)."""
    bind = engine.execution_options(**{READ_ONLY: True}) if read_only else engine
    return async_sessionmaker(bind, expire_on_commit=False, info=dict(info or {}))
