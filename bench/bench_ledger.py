"""What the privacy ledger costs a brokered crossing: one ``ledger.record`` (the rows a
Network Activity view writes, one per member asked, through the group-committing writer:
one caller at a time here, so each flush is one caller's insert) and one page of a patron's
ledger, on the hub's SQLite database and on PostgreSQL when reachable.

    .venv/bin/python -m bench.bench_ledger [--iterations 200]
"""

from __future__ import annotations

import argparse
import asyncio
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from bench.common import drop_pg_database, pct, scratch_pg_database, timed
from network_common.db import make_engine, make_sessionmaker
from network_common.tokens import Principal
from network_common.vocabulary import PrincipalKind
from network_hub.ledger import entries as ledger
from network_hub.ledger.reading import read_ledger
from network_hub.ledger.writer import LedgerWriter
from network_hub.store.migrate import upgrade


@dataclass
class _Runtime:
    """The part of ``HubRuntime`` the ledger uses."""

    sessions: Any
    ledger_writer: LedgerWriter


def _crossings(members: int) -> list[ledger.Crossing]:
    return [
        ledger.Crossing(
            kind=ledger.LedgerKind.NETWORK_ACTIVITY,
            patron=("UNIA", "P1"),
            actor=ledger.Actor(ledger.ActorKind.STAFF, "UNIA", "op"),
            from_member=f"M{i:03d}",
            to_member="UNIA",
            fields=ledger.ACTIVITY_FIELDS,
            purpose="bench",
        )
        for i in range(members)
    ]


async def _one(url: str, label: str, iterations: int) -> None:
    engine = make_engine(url)
    sessions = make_sessionmaker(engine)
    runtime: Any = _Runtime(sessions, LedgerWriter(sessions))
    try:
        await upgrade(engine)
        for members in (1, 10, 50):
            crossings = _crossings(members)

            async def write(crossings: list[ledger.Crossing] = crossings) -> None:
                await ledger.record(runtime=runtime, crossings=crossings)

            samples = await timed(write, iterations, warmup=10)
            print(
                f"{label}: record {members:>2} crossings  p50 {pct(samples, 50):6.2f} ms  "
                f"p95 {pct(samples, 95):6.2f} ms"
            )
        patron = Principal(
            kind=PrincipalKind.PATRON, institution="UNIA", user_id=1, primary_id="P1", session_id=""
        )

        async def page() -> None:
            await read_ledger(
                runtime=runtime, principal=patron, home_user_id=None, first=50, before=None
            )

        samples = await timed(page, iterations, warmup=10)
        p50, p95 = pct(samples, 50), pct(samples, 95)
        print(f"{label}: read a page of 50  p50 {p50:6.2f} ms  p95 {p95:6.2f} ms")
    finally:
        await runtime.ledger_writer.close()
        await engine.dispose()


async def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--iterations", type=int, default=200)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        await _one(f"sqlite+aiosqlite:///{Path(tmp) / 'hub.db'}", "SQLite", args.iterations)
    pg = await scratch_pg_database()
    if pg is not None:
        try:
            await _one(pg, "PostgreSQL", args.iterations)
        finally:
            await drop_pg_database(pg)


if __name__ == "__main__":
    asyncio.run(main())
