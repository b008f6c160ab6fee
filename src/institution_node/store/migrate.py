"""Running the node's Alembic migrations from code (CLI, app start, tests)."""

from __future__ import annotations

from pathlib import Path

from alembic.config import Config
from sqlalchemy.ext.asyncio import AsyncEngine

from network_common import migrate

HERE = Path(__file__).parent


def alembic_config(url: str | None = None) -> Config:
    """The Alembic config of the node's migrations."""
    return migrate.alembic_config(url, folder=HERE)


async def upgrade(engine: AsyncEngine) -> None:
    """Bring the node database at ``engine`` to the latest schema."""
    await migrate.upgrade(engine, folder=HERE)
