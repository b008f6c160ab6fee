"""Running Alembic migrations from code (CLI, app start, tests), for the node and the hub.

Each app keeps its own ``alembic.ini`` + ``migrations/`` folder beside its models; their
``env.py`` files call :func:`run_env` with their metadata.
"""

from __future__ import annotations

import asyncio
from pathlib import Path

from alembic import command, context
from alembic.config import Config
from sqlalchemy import MetaData, text
from sqlalchemy.engine import Connection
from sqlalchemy.ext.asyncio import AsyncEngine


def alembic_config(url: str | None = None, *, folder: Path) -> Config:
    """The Alembic config of the migrations kept in ``folder``."""
    config = Config(str(folder / "alembic.ini"))
    config.set_main_option("script_location", str(folder / "migrations"))
    if url:
        config.set_main_option("sqlalchemy.url", url.replace("%", "%%"))
    return config


async def upgrade(engine: AsyncEngine, *, folder: Path) -> None:
    """Bring the database at ``engine`` to the latest schema of ``folder``'s migrations."""

    def run(connection: Connection) -> None:
        config = alembic_config(folder=folder)
        config.attributes["connection"] = connection
        command.upgrade(config, "head")

    async with engine.begin() as connection:
        if connection.dialect.name == "postgresql":
            # Replicas starting at once migrate one after the other (the lock ends with the
            # transaction); the second finds the schema at head and does nothing.
            await connection.execute(
                text("SELECT pg_advisory_xact_lock(:k)"), {"k": _MIGRATION_LOCK}
            )
        await connection.run_sync(run)


#: Advisory lock id taken while migrating (any stable bigint; "lfn-migr" in ASCII).
_MIGRATION_LOCK = 0x6C666E2D6D696772


def run_env(metadata: MetaData) -> None:
    """The body of a migrations ``env.py``: on the given connection, or on the URL."""
    from network_common.db import make_engine

    def migrate(connection: Connection) -> None:
        context.configure(
            connection=connection,
            target_metadata=metadata,
            render_as_batch=connection.dialect.name == "sqlite",
            compare_type=True,
        )
        with context.begin_transaction():
            context.run_migrations()

    async def on_url(url: str) -> None:
        engine = make_engine(url)
        async with engine.connect() as connection:
            await connection.run_sync(migrate)
            await connection.commit()
        await engine.dispose()

    if context.is_offline_mode():
        raise RuntimeError("offline migrations are not supported")
    connection = context.config.attributes.get("connection")
    if connection is not None:
        migrate(connection)
        return
    url = context.config.get_main_option("sqlalchemy.url")
    if not url:
        raise RuntimeError("sqlalchemy.url is not set")
    asyncio.run(on_url(url))
