"""The migrations build exactly the schema the models describe (node and hub)."""

from __future__ import annotations

from pathlib import Path

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import MetaData
from sqlalchemy.engine import Connection

from institution_node.store.migrate import HERE as NODE_MIGRATIONS
from institution_node.store.models import Base
from network_common.db import make_engine
from network_common.migrate import upgrade
from network_hub.store.migrate import HERE as HUB_MIGRATIONS
from network_hub.store.models import HubBase


@pytest.mark.parametrize(
    ("folder", "metadata"),
    [(NODE_MIGRATIONS, Base.metadata), (HUB_MIGRATIONS, HubBase.metadata)],
    ids=["node", "hub"],
)
async def test_migrated_schema_matches_the_models(
    db_url: str, folder: Path, metadata: MetaData
) -> None:
    engine = make_engine(db_url)
    try:
        await upgrade(engine, folder=folder)
        await upgrade(engine, folder=folder)  # a second run is a no-op

        def diff(connection: Connection) -> list[object]:
            context = MigrationContext.configure(connection, opts={"compare_type": True})
            return list(compare_metadata(context, metadata))

        async with engine.connect() as connection:
            differences = await connection.run_sync(diff)
    finally:
        await engine.dispose()
    assert differences == []
