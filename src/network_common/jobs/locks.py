"""One runner per job: PostgreSQL advisory locks, or an in-process lock for SQLite."""

from __future__ import annotations

import asyncio
import hashlib
from collections.abc import AsyncIterator
from contextlib import AbstractAsyncContextManager, asynccontextmanager
from typing import Protocol

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine


def advisory_key(name: str) -> int:
    """A stable signed 64-bit key for ``name`` (PostgreSQL advisory lock ids are bigint)."""
    digest = hashlib.blake2b(f"lfn-job:{name}".encode(), digest_size=8).digest()
    return int.from_bytes(digest, "big", signed=True)


class JobLock(Protocol):
    def hold(self, name: str) -> AbstractAsyncContextManager[bool]: ...


class LocalJobLock:
    """Within one process: a job already running is not started again beside itself."""

    def __init__(self) -> None:
        self._locks: dict[str, asyncio.Lock] = {}

    @asynccontextmanager
    async def hold(self, name: str) -> AsyncIterator[bool]:
        lock = self._locks.setdefault(name, asyncio.Lock())
        if lock.locked():
            yield False
            return
        async with lock:
            yield True


class PostgresAdvisoryLock:
    """Across processes and hosts sharing one PostgreSQL database. The lock lives on one
    pooled connection for the whole run; a runner that dies loses it with its connection."""

    def __init__(self, engine: AsyncEngine) -> None:
        self._engine = engine
        self._local = LocalJobLock()

    @asynccontextmanager
    async def hold(self, name: str) -> AsyncIterator[bool]:
        async with self._local.hold(name) as mine:
            if not mine:
                yield False
                return
            key = advisory_key(name)
            async with self._engine.connect() as conn:
                got = bool(await conn.scalar(text("SELECT pg_try_advisory_lock(:k)"), {"k": key}))
                await conn.commit()
                try:
                    yield got
                finally:
                    if got:
                        await conn.execute(text("SELECT pg_advisory_unlock(:k)"), {"k": key})
                        await conn.commit()


def lock_for(engine: AsyncEngine) -> LocalJobLock | PostgresAdvisoryLock:
    """The right lock for the engine's database."""
    if engine.dialect.name == "postgresql":
        return PostgresAdvisoryLock(engine)
    return LocalJobLock()
