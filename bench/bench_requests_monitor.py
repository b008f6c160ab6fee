"""Requests monitor over 10,000 active requests, FULL independence, library-scoped operator.

Runs a real node (``institution-node serve`` under uvicorn) on a loopback port against
SQLite and, when reachable, PostgreSQL; asks the monitor over HTTP and prints p50/p99.
Then shows, in-process, the statements one monitor page costs and the database's plan
for the page query: the visibility filter is in the SQL ``WHERE`` with ``LIMIT``.

    .venv/bin/python -m bench.bench_requests_monitor [--requests 10000] [--rounds 200]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import random
import statistics
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx
from sqlalchemy import event, insert, select
from sqlalchemy.ext.asyncio import AsyncEngine
from tests.support import builders as b

from bench.common import (
    drop_pg_database,
    free_ports,
    percentile,
    scratch_pg_database,
    serve_node,
    wait_healthy,
)
from institution_node.loader.load import load
from institution_node.services.requests.views import requests_monitor
from institution_node.store.migrate import upgrade
from institution_node.store.models import BibRecord, Holding, Item, Library, Request, User
from network_common.db import is_sqlite, make_engine, make_sessionmaker
from network_common.tokens import Principal, RoleGrant
from network_common.vocabulary import PrincipalKind, StaffRoleType

LIBS = [f"L{n:02d}" for n in range(10)]
SCOPED = "L03"

MONITOR = """
query($status: [RequestStatus!], $owner: String, $first: Int!, $after: String) {
  requestsMonitor(status: $status, owningLibraryCode: $owner, first: $first, after: $after) {
    totalCount endCursor hasNextPage
    nodes { id status title itemBarcode owningLibraryCode pickupLibraryCode
            managingLibraryCode patronPrimaryId placedAt }
  }
}
"""


def _base_data() -> dict[str, Any]:
    return {
        "institution": b.institution("BENCH", fulfillment_independence_model="FULL"),
        "libraries": [b.library(code) for code in LIBS],
        "users": [
            b.staff("op-scoped", role="REQUESTS_OPERATOR", libraries=[SCOPED]),
            b.staff("op-inst", role="REQUESTS_OPERATOR", libraries=None),
        ],
    }


async def populate(engine: AsyncEngine, n_requests: int) -> None:
    """Institution, 10 libraries, 1,000 patrons, 2,500 titles x 2 copies, the requests."""
    await upgrade(engine)
    sessions = make_sessionmaker(engine)
    async with sessions() as s:
        await load(s, json.dumps(_base_data()))
    rng = random.Random(42)
    async with sessions() as s:
        lib_ids = {r.code: r.id for r in (await s.execute(select(Library.id, Library.code)))}
        ids = [lib_ids[c] for c in LIBS]
        await s.execute(
            insert(User),
            [
                {
                    "primary_id": f"PAT{n:05d}",
                    "kind": "PATRON",
                    "first_name": "P",
                    "last_name": f"{n}",
                }
                for n in range(1000)
            ],
        )
        user_ids = list((await s.scalars(select(User.id).where(User.kind == "PATRON"))).all())
        n_bibs = 2500
        await s.execute(
            insert(BibRecord),
            [{"network_record_id": f"rec-{n}", "title": f"Title {n}"} for n in range(n_bibs)],
        )
        bib_ids = list((await s.scalars(select(BibRecord.id).order_by(BibRecord.id))).all())
        holdings = []
        for n, bib in enumerate(bib_ids):
            for lib in (ids[n % 10], ids[(n + 3) % 10]):
                holdings.append({"bib_id": bib, "library_id": lib, "location": "STACKS"})
        await s.execute(insert(Holding), holdings)
        rows = await s.execute(select(Holding.id, Holding.bib_id, Holding.library_id))
        items = [
            {
                "barcode": f"B{h.id:06d}",
                "bib_id": h.bib_id,
                "holding_id": h.id,
                "library_id": h.library_id,
                "location": "STACKS",
            }
            for h in rows
        ]
        await s.execute(insert(Item), items)
        copies: dict[int, list[tuple[int, int]]] = {}
        for item_id, bib_id, lib in await s.execute(select(Item.id, Item.bib_id, Item.library_id)):
            copies.setdefault(bib_id, []).append((item_id, lib))
        now = datetime.now(UTC)
        requests = []
        for n in range(n_requests):
            bib = bib_ids[n % n_bibs]
            pickup = rng.choice(ids)
            roll = rng.random()
            item_id, owner = rng.choice(copies[bib])
            row: dict[str, Any] = {
                "kind": "PATRON",
                "level": "TITLE",
                "user_id": user_ids[n % len(user_ids)],
                "bib_id": bib,
                "pickup_institution": "BENCH",
                "pickup_library_id": pickup,
                "placed_at": now,
                "updated_at": now,
                "version": 1,
            }
            if roll < 0.4:
                row |= {"status": "PLACED", "managing_library_id": pickup}
            else:
                status = (
                    "PICK_FROM_SHELF"
                    if roll < 0.7
                    else "IN_TRANSIT"
                    if roll < 0.9
                    else "ON_HOLD_SHELF"
                )
                managing = pickup if status == "ON_HOLD_SHELF" else owner
                row |= {
                    "status": status,
                    "item_id": item_id,
                    "item_library_id": owner,
                    "managing_library_id": managing,
                }
            requests.append(row)
        await s.execute(insert(Request), requests)
        await s.commit()


def measure(base: str, rounds: int) -> dict[str, Any]:
    out: dict[str, Any] = {}
    with httpx.Client(base_url=base, timeout=30) as client:
        tokens = {
            who: client.post("/auth/token", json={"api_key": b.api_key(who)}).json()["access_token"]
            for who in ("op-scoped", "op-inst")
        }
        cases = {
            "scoped, first page (50)": ("op-scoped", {"first": 50}),
            "scoped, PICK_FROM_SHELF owned by L03": (
                "op-scoped",
                {"first": 50, "status": ["PICK_FROM_SHELF"], "owner": SCOPED},
            ),
            "institution, first page (50)": ("op-inst", {"first": 50}),
        }
        for name, (who, variables) in cases.items():
            headers = {"authorization": f"Bearer {tokens[who]}"}
            times: list[float] = []
            total = 0
            for i in range(rounds + 10):
                start = time.perf_counter()
                response = client.post(
                    "/graphql", json={"query": MONITOR, "variables": variables}, headers=headers
                )
                elapsed = (time.perf_counter() - start) * 1000
                body = response.json()
                assert "errors" not in body, body
                total = body["data"]["requestsMonitor"]["totalCount"]
                if i >= 10:  # warm-up
                    times.append(elapsed)
            out[name] = {
                "visible": total,
                "p50_ms": round(statistics.median(times), 2),
                "p99_ms": round(percentile(times, 0.99), 2),
            }
        # Walk 20 pages with the cursor: each page costs the same.
        headers = {"authorization": f"Bearer {tokens['op-scoped']}"}
        after = None
        page_times = []
        for _ in range(20):
            start = time.perf_counter()
            page = client.post(
                "/graphql",
                json={"query": MONITOR, "variables": {"first": 50, "after": after}},
                headers=headers,
            ).json()["data"]["requestsMonitor"]
            page_times.append((time.perf_counter() - start) * 1000)
            after = page["endCursor"]
        out["scoped, pages 1..20 via cursor"] = {
            "first_ms": round(page_times[0], 2),
            "last_ms": round(page_times[-1], 2),
            "p50_ms": round(statistics.median(page_times), 2),
        }
    return out


async def explain(url: str) -> list[str]:
    """The statements of one scoped monitor page, and the plan of the page query."""
    engine = make_engine(url)
    captured: list[tuple[str, Any]] = []

    @event.listens_for(engine.sync_engine, "before_cursor_execute")
    def _capture(_c: Any, _cur: Any, statement: str, params: Any, *_a: Any) -> None:
        captured.append((statement, params))

    lines: list[str] = []
    try:
        async with make_sessionmaker(engine)() as s:
            scoped = await s.scalar(select(Library.id).where(Library.code == SCOPED))
            assert scoped is not None
            actor = Principal(
                kind=PrincipalKind.STAFF,
                institution="BENCH",
                user_id=None,
                primary_id="op-scoped",
                session_id="bench",
                roles=(
                    RoleGrant(
                        role=StaffRoleType.REQUESTS_OPERATOR,
                        libraries=frozenset({scoped}),
                        consortial_services=False,
                    ),
                ),
            )
            captured.clear()
            started = time.perf_counter()
            await requests_monitor(s, actor=actor, first=50)
            lines.append(f"in-process page: {(time.perf_counter() - started) * 1000:.1f} ms")
            lines.append(f"statements for one page: {len(captured)} (re-run one by one:)")
            for q, p in list(captured):
                began = time.perf_counter()
                await (await s.connection()).exec_driver_sql(q, p)
                lines.append(
                    f"  {(time.perf_counter() - began) * 1000:7.1f} ms  {' '.join(q.split())[:90]}"
                )
            page_sql, params = next((q, p) for q, p in captured if "ORDER BY request.id" in q)
            lines.append("page query:\n  " + " ".join(page_sql.split()))
            prefix = "EXPLAIN QUERY PLAN " if is_sqlite(url) else "EXPLAIN (ANALYZE, COSTS OFF) "
            conn = await s.connection()
            plan = await conn.exec_driver_sql(prefix + page_sql, params)
            lines.append("plan:")
            lines += ["  " + " | ".join(str(c) for c in row) for row in plan.all()]
    finally:
        await engine.dispose()
    return lines


def run_backend(label: str, url: str, data_dir: Path, n_requests: int, rounds: int) -> None:
    engine = make_engine(url)

    async def _populate() -> None:
        try:
            await populate(engine, n_requests)
        finally:
            await engine.dispose()

    started = time.perf_counter()
    asyncio.run(_populate())
    print(
        f"\n== {label}: {n_requests} active requests loaded in {time.perf_counter() - started:.1f}s"
    )
    port = free_ports(1)[0]
    proc = serve_node(data_dir, url, port)
    try:
        wait_healthy(f"http://127.0.0.1:{port}")
        for name, figures in measure(f"http://127.0.0.1:{port}", rounds).items():
            print(f"  {name}: {figures}")
    finally:
        proc.terminate()
        proc.wait(10)
    for line in asyncio.run(explain(url)):
        print("  " + line)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--requests", type=int, default=10_000)
    parser.add_argument("--rounds", type=int, default=200)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        sqlite_dir = Path(tmp) / "sqlite"
        sqlite_dir.mkdir()
        url = f"sqlite+aiosqlite:///{sqlite_dir / 'node.db'}"
        run_backend("SQLite", url, sqlite_dir, args.requests, args.rounds)
        pg = asyncio.run(scratch_pg_database())
        if pg is None:
            print("\n== PostgreSQL: not reachable, skipped")
            return
        try:
            pg_dir = Path(tmp) / "pg"
            pg_dir.mkdir()
            run_backend("PostgreSQL", pg, pg_dir, args.requests, args.rounds)
        finally:
            asyncio.run(drop_pg_database(pg))


if __name__ == "__main__":
    main()
