"""The node's own BRIEF availability for 50 records with 1,000,000 items on PostgreSQL.

The catalogue is made with ``INSERT ... SELECT generate_series`` (3 items per record, one
holding per record, two libraries, a mix of statuses), then ANALYZEd. Measured at the service
function (SQL + Python) and through ``/network/graphql`` (ASGI, strawberry and the service-token
check included); each iteration asks for 50 random record ids. Run from bench_getit.py or:

    .venv/bin/python -m bench.bench_getit_node [--items 1000000] [--iterations 200]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import random
import tempfile
import time
import uuid
from pathlib import Path

import asyncpg
import httpx
from sqlalchemy import text
from tests.support.service_tokens import hub_settings, service_token

from bench.common import pct
from institution_node.app import create_app
from institution_node.loader.load import load
from institution_node.runtime import NodeRuntime
from institution_node.services.network.availability import Detail, availability
from institution_node.settings import NodeSettings
from institution_node.store.migrate import upgrade
from network_common.keys import SigningKey

POSTGRES = os.environ.get("TEST_POSTGRES_URL", "postgresql+asyncpg://postgres@127.0.0.1:5432/test")
CODE = "BENCH"
BRIEF = """
query ($ids: [String!]!) {
  availability(recordIds: $ids, detail: BRIEF) {
    institutionCode records { recordId found totalItems availableItems requestable }
  }
}
"""
CATALOGUE = [
    """INSERT INTO bib_record (id, network_record_id, title, author)
       SELECT g, 'rec-' || lpad(g::text, 8, '0'), 'Title ' || g, 'Author ' || (g % 997)
       FROM generate_series(1, :records) g""",
    """INSERT INTO holding (id, bib_id, library_id, location, call_number)
       SELECT g, g,
              CASE WHEN g % 2 = 0 THEN CAST(:lib_a AS INTEGER) ELSE CAST(:lib_b AS INTEGER) END,
              'STACKS', 'QA ' || g
       FROM generate_series(1, :records) g""",
    """INSERT INTO item (id, barcode, bib_id, holding_id, library_id, location, loanable,
                         loan_period_days, renewals_allowed, requestable, status, version)
       SELECT g, 'B' || g, (g - 1) / 3 + 1, (g - 1) / 3 + 1,
              CASE WHEN ((g - 1) / 3 + 1) % 2 = 0 THEN CAST(:lib_a AS INTEGER)
                   ELSE CAST(:lib_b AS INTEGER) END,
              'STACKS',
              g % 10 <> 0, 28, 2, true,
              CASE WHEN g % 7 = 0 THEN 'ON_LOAN' WHEN g % 13 = 0 THEN 'IN_TRANSIT'
                   WHEN g % 17 = 0 THEN 'ON_HOLD_SHELF' ELSE 'ON_SHELF' END, 1
       FROM generate_series(1, :items) g""",
]


async def _admin(sql: str) -> None:
    conn = await asyncpg.connect(POSTGRES.replace("postgresql+asyncpg://", "postgresql://"))
    try:
        await conn.execute(sql)
    finally:
        await conn.close()


async def build(runtime: NodeRuntime, items: int) -> int:
    await upgrade(runtime.engine)
    data = {
        "institution": {"code": CODE, "name": "Bench University"},
        "libraries": [
            {"code": "MAIN", "name": "Main", "desks": [{"code": "D1", "name": "Desk"}]},
            {"code": "LAW", "name": "Law"},
        ],
    }
    async with runtime.sessions() as session:
        await load(session, json.dumps(data))
    records = (items + 2) // 3
    started = time.perf_counter()
    async with runtime.engine.begin() as conn:
        libs = [r[0] for r in await conn.execute(text("SELECT id FROM library ORDER BY id"))]
        params = {"records": records, "items": items, "lib_a": libs[0], "lib_b": libs[1]}
        for sql in CATALOGUE:
            await conn.execute(text(sql), params)
    async with runtime.engine.connect() as conn:
        await conn.execution_options(isolation_level="AUTOCOMMIT")
        await conn.execute(text("ANALYZE"))
    print(f"catalogue: {records} records, {items} items in {time.perf_counter() - started:.1f} s")
    return records


async def run_node(items: int, iterations: int) -> None:
    name = f"lfn_bench_getit_{uuid.uuid4().hex[:8]}"
    await _admin(f'CREATE DATABASE "{name}"')
    key = SigningKey.generate()
    try:
        with tempfile.TemporaryDirectory() as tmp:
            settings = NodeSettings(
                data_dir=Path(tmp),
                database_url=f"{POSTGRES.rpartition('/')[0]}/{name}",
                **hub_settings(key),
            )
            runtime = NodeRuntime.create(settings)
            try:
                records = await build(runtime, items)
                await measure(runtime, settings, key, records, iterations)
            finally:
                await runtime.close()
    finally:
        await _admin(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


async def measure(
    runtime: NodeRuntime, settings: NodeSettings, key: SigningKey, records: int, iterations: int
) -> None:
    rng = random.Random(5)

    def page() -> list[str]:
        return [f"rec-{n:08d}" for n in rng.sample(range(1, records + 1), 50)]

    async def service_call() -> None:
        async with runtime.sessions() as session:
            answer = await availability(
                session, record_ids=page(), viewer=None, detail=Detail.BRIEF
            )
        assert all(r.found and r.total_items for r in answer.records)

    app = create_app(settings, runtime=runtime)
    token = service_token(key, CODE)
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://node") as client:

        async def api_call() -> None:
            response = await client.post(
                "/network/graphql",
                json={"query": BRIEF, "variables": {"ids": page()}},
                headers={"authorization": f"Bearer {token}"},
            )
            body = response.json()
            assert "errors" not in body, body

        for label, fn in (("service", service_call), ("network API", api_call)):
            for _ in range(20):
                await fn()
            samples = []
            for _ in range(iterations):
                started = time.perf_counter()
                await fn()
                samples.append(time.perf_counter() - started)
            print(
                f"node BRIEF 50 records, {label:<11}: p50 {pct(samples, 50):5.2f} ms "
                f"p99 {pct(samples, 99):5.2f} ms (target p50 <= 20 ms)",
                flush=True,
            )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--items", type=int, default=1_000_000)
    parser.add_argument("--iterations", type=int, default=200)
    args = parser.parse_args()
    asyncio.run(run_node(args.items, args.iterations))


if __name__ == "__main__":
    main()
