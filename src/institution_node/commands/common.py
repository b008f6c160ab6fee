"""Opening the node's database for a command: fresh directories and unmigrated databases
answer one clear line (see ``network_common.cli_support``)."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession

from network_common.cli_support import CliError, check_database_url, require_migrated
from network_common.db import make_engine, make_sessionmaker

from ..settings import NodeSettings
from ..store.migrate import HERE, upgrade


def database_url(settings: NodeSettings, *, create: bool) -> str:
    """The database URL; ``create`` makes a missing data directory (first migrate/load)."""
    if create:
        try:
            settings.data_dir.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            raise CliError(
                f"{settings.data_dir}: cannot create the data directory ({exc})"
            ) from exc
    elif settings.database_url is None and not settings.data_dir.is_dir():
        raise CliError(
            f"{settings.data_dir}: no such data directory: run `institution-node migrate` "
            "(and load the institution) first, or give --data-dir"
        )
    url = settings.resolved_database_url()
    check_database_url(url)
    return url


@asynccontextmanager
async def node_engine(settings: NodeSettings, *, migrate: bool) -> AsyncIterator[AsyncEngine]:
    """The node's engine: migrated first (``migrate``) or required to be at the head."""
    engine = make_engine(database_url(settings, create=migrate))
    try:
        if migrate:
            await upgrade(engine)
        else:
            await require_migrated(engine, folder=HERE, what="institution-node")
        yield engine
    finally:
        await engine.dispose()


@asynccontextmanager
async def node_session(settings: NodeSettings) -> AsyncIterator[AsyncSession]:
    """A session on a migrated node database."""
    async with node_engine(settings, migrate=False) as engine, make_sessionmaker(engine)() as s:
        yield s
