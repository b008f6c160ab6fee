"""A patron with 500 loans, and loans+returns per second at one desk (not a timed test).

Starts a real node (``institution-node serve`` under uvicorn) on a loopback port against
SQLite and, when reachable, PostgreSQL (a scratch database, dropped afterwards), then over
HTTP: fetches the patron's loans through ``/graphql`` (p50/p99 over ``--rounds`` runs) and
runs a sequential loan-then-return loop over ``--items`` items at one desk. Prints a table
and writes the figures to ``bench/results/node_loans.json``.

    .venv/bin/python -m bench.bench_node_loans [--loans 500] [--rounds 50] [--items 300]
        [--rules 20]

``--rules N`` loads N fulfilment rules (N - 1 that the desk's patron does not match, tried
first, then a default one), so every loan walks the rule book before it matches.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import statistics
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
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
from institution_node.store.migrate import upgrade
from network_common.db import make_engine, make_sessionmaker

RESULTS = Path(__file__).with_name("results")

LOANS = """
query($id: String!) {
  user(primaryId: $id) {
    loans { id itemBarcode title owningLibraryCode loanDeskCode loanedAt dueAt renewals }
  }
}"""
LOAN = """
mutation($barcode: String!) {
  loan(desk: "MAIN-DESK", patron: "WALKER", barcode: $barcode) { id dueAt }
}"""
RETURN = """
mutation($barcode: String!) {
  return(desk: "MAIN-DESK", barcode: $barcode) { nextStep }
}"""


def rules(n: int) -> list[dict[str, Any]]:
    """``n`` rules: ``n - 1`` for other user groups first, then the one that matches."""
    if n <= 0:
        return []
    others = [
        {"name": f"Group {g}", "position": g, "user_groups": [f"GROUP-{g}"], "loan_period_days": 7}
        for g in range(n - 1)
    ]
    return [*others, {"name": "Default", "position": n, "loan_period_days": 21,
                      "fine_per_day": "0.25", "lost_after_days_overdue": 30}]  # fmt: skip


def data(n_loans: int, n_items: int, n_rules: int = 0) -> dict[str, Any]:
    borrowed = [f"BIG-{n:04d}" for n in range(n_loans)]
    free = [f"RUN-{n:04d}" for n in range(n_items)]
    now = datetime.now(UTC)
    return {
        "institution": b.institution("BENCH"),
        "libraries": [b.library("MAIN")],
        "users": [
            b.staff("desk-op", libraries=["MAIN"]),
            b.patron("HEAVY"),
            b.patron("WALKER"),
        ],
        "records": [
            b.record("rec-big", holdings=[b.holding("MAIN", *borrowed)]),
            b.record("rec-run", holdings=[b.holding("MAIN", *free)]),
        ],
        "loans": [
            {
                "barcode": code,
                "patron": "HEAVY",
                "desk": "MAIN-DESK",
                "loaned_at": now.isoformat(),
                "due_at": (now + timedelta(days=1 + n % 60)).isoformat(),
            }
            for n, code in enumerate(borrowed)
        ],
        "fulfilment_rules": rules(n_rules),
    }


async def populate(url: str, n_loans: int, n_items: int, n_rules: int) -> None:
    engine = make_engine(url)
    try:
        await upgrade(engine)
        async with make_sessionmaker(engine)() as session:
            await load(session, json.dumps(data(n_loans, n_items, n_rules)))
    finally:
        await engine.dispose()


def _gql(client: httpx.Client, query: str, variables: dict[str, Any]) -> dict[str, Any]:
    body: dict[str, Any] = client.post(
        "/graphql", json={"query": query, "variables": variables}
    ).json()
    if body.get("errors"):
        raise RuntimeError(body["errors"])
    result: dict[str, Any] = body["data"]
    return result


def measure(base: str, n_loans: int, rounds: int, n_items: int) -> dict[str, Any]:
    with httpx.Client(base_url=base, timeout=60) as client:
        token = client.post("/auth/token", json={"api_key": b.api_key("desk-op")}).json()
        client.headers["authorization"] = f"Bearer {token['access_token']}"
        times: list[float] = []
        for i in range(rounds + 5):
            start = time.perf_counter()
            loans = _gql(client, LOANS, {"id": "HEAVY"})["user"]["loans"]
            if i >= 5:  # warm-up
                times.append((time.perf_counter() - start) * 1000)
        assert len(loans) == n_loans, len(loans)
        start = time.perf_counter()
        for n in range(n_items):
            barcode = f"RUN-{n:04d}"
            _gql(client, LOAN, {"barcode": barcode})
            _gql(client, RETURN, {"barcode": barcode})
        elapsed = time.perf_counter() - start
    return {
        "loans_list_p50_ms": round(statistics.median(times), 1),
        "loans_list_p99_ms": round(percentile(times, 0.99), 1),
        "loans_returns_per_s": round(2 * n_items / elapsed, 1),
        "loan_return_cycles": n_items,
    }


def run_backend(label: str, url: str, data_dir: Path, args: argparse.Namespace) -> dict[str, Any]:
    started = time.perf_counter()
    asyncio.run(populate(url, args.loans, args.items, args.rules))
    print(f"== {label}: loaded in {time.perf_counter() - started:.1f}s", flush=True)
    port = free_ports(1)[0]
    proc = serve_node(data_dir, url, port)
    try:
        wait_healthy(f"http://127.0.0.1:{port}")
        return measure(f"http://127.0.0.1:{port}", args.loans, args.rounds, args.items)
    finally:
        proc.terminate()
        proc.wait(10)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--loans", type=int, default=500)
    parser.add_argument("--rounds", type=int, default=50)
    parser.add_argument("--items", type=int, default=300)
    parser.add_argument("--rules", type=int, default=0, help="fulfilment rules to load")
    args = parser.parse_args()
    results: dict[str, Any] = {}
    with tempfile.TemporaryDirectory() as tmp:
        sqlite_dir = Path(tmp) / "sqlite"
        sqlite_dir.mkdir()
        url = f"sqlite+aiosqlite:///{sqlite_dir / 'node.db'}"
        results["SQLite"] = run_backend("SQLite", url, sqlite_dir, args)
        pg = asyncio.run(scratch_pg_database())
        if pg is None:
            print("== PostgreSQL: not reachable, skipped")
        else:
            try:
                pg_dir = Path(tmp) / "pg"
                pg_dir.mkdir()
                results["PostgreSQL"] = run_backend("PostgreSQL", pg, pg_dir, args)
            finally:
                asyncio.run(drop_pg_database(pg))
    print(f"\n{'backend':<12} {'loans p50 ms':>13} {'loans p99 ms':>13} {'loans+returns/s':>16}")
    for backend, r in results.items():
        print(
            f"{backend:<12} {r['loans_list_p50_ms']:>13} {r['loans_list_p99_ms']:>13} "
            f"{r['loans_returns_per_s']:>16}"
        )
    RESULTS.mkdir(exist_ok=True)
    out = RESULTS / "node_loans.json"
    out.write_text(json.dumps({"args": vars(args), "results": results}, indent=2))
    print(f"\nwritten to {out}")


if __name__ == "__main__":
    main()
