"""The staff borrowing list over 10,000 borrowing requests, with facets (issue 12).

Runs a real node (``institution-node serve`` under uvicorn) against SQLite and, when
reachable, PostgreSQL; asks ``borrowingRequests`` over HTTP and prints p50/p99 per page.
Then counts, in-process, the SQL statements one page costs (with and without facets and
history, for 10 and 200 rows): the count does not grow with the page.

    .venv/bin/python -m bench.bench_rs_lists [--requests 10000] [--rounds 100] [--port 0]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import random
import statistics
import tempfile
import time
from datetime import UTC, datetime, timedelta
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
from institution_node.domain.borrowing import ACTIVE, CLOSED, BorrowingStatus
from institution_node.loader.load import load
from institution_node.services.resource_sharing import views
from institution_node.store.migrate import upgrade
from institution_node.store.models import BorrowingRequest, History, Library, Partner, User
from network_common.db import make_engine, make_sessionmaker
from network_common.tokens import Principal, RoleGrant
from network_common.vocabulary import PrincipalKind, StaffRoleType

LIBS = [f"L{n:02d}" for n in range(10)]
SCOPED = "L03"
PARTNERS = [f"P{n}" for n in range(8)]
ASSIGNEES = ["rs-inst", "rs-scoped", "rs-other"]

FACETS = """
  facets { status { value count } partner { value count } pickupLocation { value count }
           assignee { value count } hasActiveNote { value count } }
"""
LIST = f"""
query($filter: BorrowingFilterInput, $first: Int!, $after: String) {{
  borrowingRequests(filter: $filter, first: $first, after: $after) {{
    totalCount endCursor hasNextPage
    nodes {{ id status title author patronPrimaryId pickupLibraryCode partnerCode rota
             neededBy dueAt assignee activeNotes availableActions }}
    {FACETS}
  }}
}}
"""
LIST_HISTORY = """
query($first: Int!, $after: String) {
  borrowingRequests(first: $first, after: $after) {
    totalCount endCursor
    nodes { id status title partnerCode availableActions
            history { category kind toStatus partnerCode delivery createdAt } }
  }
}
"""


def _base_data() -> dict[str, Any]:
    fso = "FULFILLMENT_SERVICES_OPERATOR"
    return {
        "institution": b.institution("BENCH", fulfillment_independence_model="FULL"),
        "libraries": [b.library(code) for code in LIBS],
        "users": [
            b.staff("rs-inst", role="FULFILLMENT_SERVICES_MANAGER", libraries=None),
            b.staff("rs-scoped", role=fso, libraries=[SCOPED]),
            b.staff("rs-other", role=fso, libraries=["L05"]),
        ],
    }


async def populate(engine: AsyncEngine, n_requests: int) -> None:
    """10 libraries, 8 partners, 1,000 patrons, the borrowing requests (status, partner,
    pickup, assignee and notes spread at random) and three history lines each."""
    await upgrade(engine)
    sessions = make_sessionmaker(engine)
    async with sessions() as s:
        await load(s, json.dumps(_base_data()))
    rng = random.Random(12)
    async with sessions() as s:
        libs = [r.id for r in await s.execute(select(Library.id).order_by(Library.code))]
        await s.execute(
            insert(Partner),
            [
                {
                    "code": code,
                    "name": f"Partner {code}",
                    "origin": "LOCAL",
                    "protocol": "ISO18626",
                    "agency_type": "ISIL",
                    "agency_value": f"XX-{code}",
                    "endpoint_url": f"https://{code.lower()}.example/iso18626",
                    "auth_kind": "SHARED_SECRET",
                    "outbound_header": "authorization",
                    "active": True,
                }
                for code in PARTNERS
            ],
        )
        partner_ids = list((await s.scalars(select(Partner.id).order_by(Partner.id))).all())
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
        patrons = list((await s.scalars(select(User.id).where(User.kind == "PATRON"))).all())
        staff = dict(
            (await s.execute(select(User.primary_id, User.id).where(User.kind == "STAFF"))).all()
        )
        now = datetime.now(UTC)
        statuses = sorted(ACTIVE) + sorted(CLOSED)
        rows = []
        for n in range(n_requests):
            status = rng.choice(statuses) if rng.random() < 0.7 else BorrowingStatus.REQUEST_SENT
            pickup = rng.choice(libs)
            rota = rng.sample(partner_ids, 3)
            asked = status is not BorrowingStatus.READY_TO_SEND
            rows.append(
                {
                    "status": status.value,
                    "format": "BOOK",
                    "user_id": patrons[n % len(patrons)],
                    "library_id": pickup,
                    "pickup_library_id": pickup,
                    "title": f"Wanted title {n}",
                    "author": f"Author {n % 97}",
                    "record_id": f"nr-{n}",
                    "needed_by": (now + timedelta(days=30)).date(),
                    "rota": rota,
                    "rota_position": 0 if asked else -1,
                    "partner_id": rota[0] if asked else None,
                    "attempt": 1 if asked else 0,
                    "item_barcode": f"RS-BENCH-{n}",
                    "assignee_id": staff[rng.choice(ASSIGNEES)] if rng.random() < 0.5 else None,
                    "active_notes": 1 if rng.random() < 0.2 else 0,
                    "renewals": 0,
                    "overdue": False,
                    "recalled": False,
                    "created_at": now,
                    "updated_at": now,
                    "version": 1,
                }
            )
        await s.execute(insert(BorrowingRequest), rows)
        ids = list((await s.scalars(select(BorrowingRequest.id))).all())
        history = []
        for request_id in ids:
            for kind in ("CREATED", "SEND", "NOTE"):
                history.append(
                    {
                        "borrowing_request_id": request_id,
                        "category": "STATUS" if kind != "NOTE" else "NOTE",
                        "kind": kind,
                        "actor": "rs-inst",
                        "active": False,
                        "created_at": now,
                    }
                )
        await s.execute(insert(History), history)
        await s.commit()


def _time(client: httpx.Client, query: str, variables: dict[str, Any], token: str) -> float:
    start = time.perf_counter()
    response = client.post(
        "/graphql",
        json={"query": query, "variables": variables},
        headers={"authorization": f"Bearer {token}"},
    )
    elapsed = (time.perf_counter() - start) * 1000
    body = response.json()
    assert "errors" not in body, body
    return elapsed


def measure(base: str, rounds: int) -> dict[str, Any]:
    out: dict[str, Any] = {}
    with httpx.Client(base_url=base, timeout=60) as client:
        tokens = {
            who: client.post("/auth/token", json={"api_key": b.api_key(who)}).json()["access_token"]
            for who in ("rs-inst", "rs-scoped")
        }
        cases: dict[str, tuple[str, str, dict[str, Any]]] = {
            "institution, page of 50 + facets": ("rs-inst", LIST, {"first": 50}),
            "institution, status+partner+has-note filter + facets": (
                "rs-inst",
                LIST,
                {
                    "first": 50,
                    "filter": {
                        "status": ["REQUEST_SENT", "SHIPPED"],
                        "partnerCodes": ["P1", "P2"],
                        "hasActiveNote": False,
                    },
                },
            ),
            "scoped (L03, FULL), page of 50 + facets": ("rs-scoped", LIST, {"first": 50}),
            "institution, page of 50 with history": ("rs-inst", LIST_HISTORY, {"first": 50}),
            "institution, page of 200 + facets": ("rs-inst", LIST, {"first": 200}),
        }
        for name, (who, query, variables) in cases.items():
            times = [_time(client, query, variables, tokens[who]) for _ in range(rounds + 10)]
            times = times[10:]  # warm-up
            out[name] = {
                "p50_ms": round(statistics.median(times), 2),
                "p99_ms": round(percentile(times, 0.99), 2),
            }
        # 20 pages through the cursor (keyset): the last costs what the first does.
        after = None
        page_times = []
        headers = {"authorization": f"Bearer {tokens['rs-inst']}"}
        for _ in range(20):
            start = time.perf_counter()
            page = client.post(
                "/graphql",
                json={"query": LIST, "variables": {"first": 50, "after": after}},
                headers=headers,
            ).json()["data"]["borrowingRequests"]
            page_times.append((time.perf_counter() - start) * 1000)
            after = page["endCursor"]
        out["institution, pages 1..20 via cursor"] = {
            "first_ms": round(page_times[0], 2),
            "last_ms": round(page_times[-1], 2),
            "p50_ms": round(statistics.median(page_times), 2),
        }
    return out


async def statements(url: str) -> list[str]:
    """Statements one page costs, in-process, for a few shapes and sizes."""
    engine = make_engine(url)
    seen: list[str] = []

    @event.listens_for(engine.sync_engine, "before_cursor_execute")
    def _count(_c: Any, _cur: Any, statement: str, *_a: Any) -> None:
        seen.append(statement)

    actor = Principal(
        kind=PrincipalKind.STAFF,
        institution="BENCH",
        user_id=None,
        primary_id="rs-inst",
        session_id="bench",
        roles=(RoleGrant(StaffRoleType.FULFILLMENT_SERVICES_MANAGER, None, False),),
    )
    lines = []
    try:
        for facets, history in ((True, False), (False, False), (True, True)):
            counts = []
            for first in (10, 200):
                times = []
                for _ in range(21):  # the first is a warm-up
                    async with make_sessionmaker(engine)() as s:
                        seen.clear()
                        started = time.perf_counter()
                        await views.borrowing_requests(
                            s, actor=actor, first=first, with_facets=facets, with_history=history
                        )
                        times.append((time.perf_counter() - started) * 1000)
                took = statistics.median(times[1:])
                counts.append(f"{first} rows: {len(seen)} statements, p50 {took:.1f} ms")
            lines.append(f"in-process, facets={facets} history={history}: " + "; ".join(counts))
    finally:
        await engine.dispose()
    return lines


def run_backend(
    label: str, url: str, data_dir: Path, n_requests: int, rounds: int, port: int
) -> None:
    engine = make_engine(url)

    async def _populate() -> None:
        try:
            await populate(engine, n_requests)
        finally:
            await engine.dispose()

    started = time.perf_counter()
    asyncio.run(_populate())
    print(f"\n== {label}: {n_requests} borrowing requests in {time.perf_counter() - started:.1f}s")
    port = port or free_ports(1)[0]
    proc = serve_node(data_dir, url, port)
    try:
        wait_healthy(f"http://127.0.0.1:{port}")
        for name, figures in measure(f"http://127.0.0.1:{port}", rounds).items():
            print(f"  {name}: {figures}")
    finally:
        proc.terminate()
        proc.wait(10)
    for line in asyncio.run(statements(url)):
        print("  " + line)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--requests", type=int, default=10_000)
    parser.add_argument("--rounds", type=int, default=100)
    parser.add_argument("--port", type=int, default=0, help="the node's port (0: a free one)")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        sqlite_dir = Path(tmp) / "sqlite"
        sqlite_dir.mkdir()
        url = f"sqlite+aiosqlite:///{sqlite_dir / 'node.db'}"
        run_backend("SQLite", url, sqlite_dir, args.requests, args.rounds, args.port)
        pg = asyncio.run(scratch_pg_database())
        if pg is None:
            print("\n== PostgreSQL: not reachable, skipped")
            return
        try:
            pg_dir = Path(tmp) / "pg"
            pg_dir.mkdir()
            run_backend("PostgreSQL", pg, pg_dir, args.requests, args.rounds, args.port)
        finally:
            asyncio.run(drop_pg_database(pg))


if __name__ == "__main__":
    main()
