"""Pooled database connections: dead ones are replaced without a ping, read-only sessions
skip BEGIN/ROLLBACK on PostgreSQL, and read-only units survive a dropped connection."""

from __future__ import annotations

import asyncio

import pytest
from sqlalchemy import text
from sqlalchemy.exc import DBAPIError, ProgrammingError
from sqlalchemy.ext.asyncio import AsyncSession

from network_common.db import make_engine, make_sessionmaker, read_only_unit
from tests.support.postgres import terminate_backends


async def _in_transaction(session: AsyncSession) -> bool:
    """What the driver says after a statement: is the connection inside a transaction?"""
    await session.execute(text("SELECT 1"))
    raw = await (await session.connection()).get_raw_connection()
    driver = raw.driver_connection
    assert driver is not None
    if hasattr(driver, "is_in_transaction"):  # asyncpg: the server's own transaction status
        return bool(driver.is_in_transaction())
    return bool(driver.in_transaction)


async def test_read_only_sessions_skip_the_transaction_on_postgres_only(db_url: str) -> None:
    engine = make_engine(db_url, pre_ping=False)
    try:
        async with make_sessionmaker(engine)() as session:
            assert await _in_transaction(session)
        async with make_sessionmaker(engine, read_only=True)() as session:
            # PostgreSQL: autocommit, one statement is one transaction (no BEGIN/ROLLBACK).
            # SQLite: a deferred BEGIN, so the unit reads one WAL snapshot.
            assert await _in_transaction(session) is engine.url.drivername.startswith("sqlite")
        async with make_sessionmaker(engine)() as session:  # the pooled connection is reset
            assert await _in_transaction(session)
    finally:
        await engine.dispose()


async def _backend_pid(session: AsyncSession) -> int:
    pid = await session.scalar(text("SELECT pg_backend_pid()"))
    assert isinstance(pid, int)
    return pid


@pytest.mark.postgres
async def test_a_connection_the_server_closed_is_replaced_at_checkout(pg_url: str) -> None:
    engine = make_engine(pg_url, pre_ping=False)
    sessions = make_sessionmaker(engine, read_only=True)
    try:
        async with sessions() as session:
            first = await _backend_pid(session)
        assert await terminate_backends(pg_url) == 1  # the pooled connection's backend
        await asyncio.sleep(0.05)  # the event loop reads the server's goodbye meanwhile

        async with sessions() as session:
            second = await _backend_pid(session)
        assert second != first
        assert engine.pool.checkedin() == 1
    finally:
        await engine.dispose()


@pytest.mark.postgres
async def test_a_read_only_unit_runs_again_when_its_connection_drops(pg_url: str) -> None:
    engine = make_engine(pg_url, pre_ping=False)
    sessions = make_sessionmaker(engine, read_only=True)
    pids: list[int] = []

    async def work(session: AsyncSession) -> int:
        pid = await _backend_pid(session)
        pids.append(pid)
        if len(pids) == 1:  # the server goes away between two statements of the unit
            await terminate_backends(pg_url, pids=[pid])
        return int(await session.scalar(text("SELECT 41 + 1")) or 0)

    try:
        assert await read_only_unit(sessions, work) == 42
        assert len(pids) == 2
        assert pids[0] != pids[1]
    finally:
        await engine.dispose()


async def test_a_read_only_unit_is_not_retried_for_other_errors(db_url: str) -> None:
    engine = make_engine(db_url, pre_ping=False)
    sessions = make_sessionmaker(engine, read_only=True)
    calls: list[int] = []

    async def work(session: AsyncSession) -> None:
        calls.append(1)
        await session.execute(text("SELECT * FROM no_such_table"))

    try:
        with pytest.raises((ProgrammingError, DBAPIError)):
            await read_only_unit(sessions, work)
        assert calls == [1]
    finally:
        await engine.dispose()
