"""Shared fixtures: databases (SQLite, and PostgreSQL when available), nodes over ASGI."""

from __future__ import annotations

import os
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable
from pathlib import Path
from typing import Any

import pytest

from tests.support.nodes import NodeHarness, start_node

POSTGRES_URL = os.environ.get(
    "TEST_POSTGRES_URL", "postgresql+asyncpg://postgres@127.0.0.1:5432/test"
)
IN_CI = os.environ.get("CI", "").lower() == "true"


async def _pg_admin() -> Any:
    import asyncpg

    dsn = POSTGRES_URL.replace("postgresql+asyncpg://", "postgresql://")
    return await asyncpg.connect(dsn, timeout=3)


async def _create_pg_database() -> str:
    try:
        admin = await _pg_admin()
    except (OSError, Exception) as exc:  # asyncpg raises many kinds when the server is absent
        if IN_CI:
            raise RuntimeError(f"PostgreSQL is required in CI but unreachable: {exc}") from exc
        pytest.skip(
            f"PostgreSQL is not reachable at {POSTGRES_URL} ({exc}); set CI=true to require it"
        )
    name = f"lfn_test_{uuid.uuid4().hex[:12]}"
    try:
        await admin.execute(f'CREATE DATABASE "{name}"')
    finally:
        await admin.close()
    base, _, _ = POSTGRES_URL.rpartition("/")
    return f"{base}/{name}"


async def _drop_pg_database(url: str) -> None:
    name = url.rpartition("/")[2]
    admin = await _pg_admin()
    try:
        await admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    finally:
        await admin.close()


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
async def db_url(request: pytest.FixtureRequest, tmp_path: Path) -> AsyncIterator[str]:
    """A fresh, empty database on each backend."""
    if request.param == "sqlite":
        yield f"sqlite+aiosqlite:///{tmp_path / 'node.db'}"
        return
    url = await _create_pg_database()
    try:
        yield url
    finally:
        await _drop_pg_database(url)


@pytest.fixture
async def sqlite_url(tmp_path: Path) -> str:
    return f"sqlite+aiosqlite:///{tmp_path / 'node.db'}"


NodeFactory = Callable[..., Awaitable[NodeHarness]]


@pytest.fixture
async def node_factory(tmp_path: Path) -> AsyncIterator[NodeFactory]:
    """Start nodes (in-process, over ASGI) loaded with the given data; closed at teardown."""
    started: list[NodeHarness] = []

    async def make(
        data: dict[str, Any], *, db_url: str | None = None, **settings: Any
    ) -> NodeHarness:
        harness = await start_node(
            data, data_dir=tmp_path / f"node{len(started)}", db_url=db_url, **settings
        )
        started.append(harness)
        return harness

    yield make
    for harness in started:
        await harness.close()


@pytest.fixture
async def pg_url() -> AsyncIterator[str]:
    """A fresh, empty PostgreSQL database (mark the test ``postgres``: skipped without one,
    outside CI)."""
    url = await _create_pg_database()
    try:
        yield url
    finally:
        await _drop_pg_database(url)
