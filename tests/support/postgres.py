"""Dropping a database's server-side connections, as a PostgreSQL restart does."""

from __future__ import annotations

import asyncio
import time

from tests.conftest import _pg_admin


async def terminate_backends(url: str, *, pids: list[int] | None = None) -> int:
    """Terminate the backends connected to ``url``'s database (or just ``pids``) and wait
    until the server has closed them; returns how many were terminated."""
    name = url.rpartition("/")[2]
    admin = await _pg_admin()
    try:
        if pids is None:
            pids = [
                r["pid"]
                for r in await admin.fetch(
                    "SELECT pid FROM pg_stat_activity WHERE datname = $1 AND pid <> "
                    "pg_backend_pid()",
                    name,
                )
            ]
        for pid in pids:
            await admin.fetchval("SELECT pg_terminate_backend($1)", pid)
        deadline = time.monotonic() + 10
        while await admin.fetchval(
            "SELECT count(*) FROM pg_stat_activity WHERE pid = ANY($1::int[])", pids
        ):
            if time.monotonic() > deadline:
                raise TimeoutError(f"backends {pids} still alive")
            await asyncio.sleep(0.02)
    finally:
        await admin.close()
    return len(pids)
