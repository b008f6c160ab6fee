"""Running the hub's Alembic migrations from code (CLI, app start, tests)."""

from __future__ import annotations

from pathlib import Path

from sqlalchemy.ext.asyncio import AsyncEngine

from network_common import migrate

HERE = Path(__file__).parent


async def upgrade(engine: AsyncEngine) -> None:
    """Bring the hub database at ``engine`` to the latest schema."""
    await migrate.upgrade(engine, folder=HERE)
