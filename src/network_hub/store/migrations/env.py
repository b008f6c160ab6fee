"""Alembic environment (hub): runs migrations on the async engine given in the config."""

from __future__ import annotations

import asyncio

from alembic import context
from sqlalchemy.engine import Connection

from institution_node.store.db import make_engine
from network_hub.store.models import HubBase

config = context.config
target_metadata = HubBase.metadata


def _run(connection: Connection) -> None:
    context.configure(
        connection=connection,
        target_metadata=target_metadata,
        render_as_batch=connection.dialect.name == "sqlite",
        compare_type=True,
    )
    with context.begin_transaction():
        context.run_migrations()


async def _run_async(url: str) -> None:
    engine = make_engine(url)
    async with engine.connect() as connection:
        await connection.run_sync(_run)
        await connection.commit()
    await engine.dispose()


def run() -> None:
    connection = config.attributes.get("connection")
    if connection is not None:
        _run(connection)
        return
    url = config.get_main_option("sqlalchemy.url")
    if not url:
        raise RuntimeError("sqlalchemy.url is not set")
    asyncio.run(_run_async(url))


if context.is_offline_mode():
    raise RuntimeError("offline migrations are not supported")
run()
