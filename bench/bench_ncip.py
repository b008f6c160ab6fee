"""NCIP messages per second at one node: CheckOutItem + CheckInItem pairs (not a test).

Starts a real node (``institution-node serve`` under uvicorn) on a loopback port against
SQLite and, when reachable, PostgreSQL (a scratch database, dropped afterwards), with one
broker partner and ``--items`` copies. Over HTTP, the broker ships each copy
(``CheckOutItem`` without a prior RequestItem: the lending request is made on the spot)
and checks it in again (``CheckInItem``): first one pair after the other, then
``--concurrency`` brokers' pairs at once on other copies. Each message is a full
transaction: the claim (``rs_incoming_message``), the lending request, the loan, history.
Prints a table and writes ``bench/results/ncip.json``.

    .venv/bin/python -m bench.bench_ncip [--items 300] [--concurrency 8]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import statistics
import tempfile
import time
from pathlib import Path
from typing import Any

import httpx
from tests.support import builders as b
from tests.support import ncip
from tests.support.resource_sharing import staff_principal

from bench.common import (
    drop_pg_database,
    free_ports,
    percentile,
    scratch_pg_database,
    serve_node,
    wait_healthy,
)
from institution_node.domain.partners import PartnerProtocol
from institution_node.loader.load import load
from institution_node.services.resource_sharing import partners
from institution_node.store.migrate import upgrade
from network_common.db import make_engine, make_sessionmaker

RESULTS = Path(__file__).with_name("results")


def data(n_items: int) -> dict[str, Any]:
    return {
        "institution": b.institution("BENCH"),
        "libraries": [b.library("MAIN")],
        "users": [b.staff("desk-op", libraries=["MAIN"])],
        "records": [
            b.record(
                "rec-run",
                holdings=[
                    b.holding("MAIN", *(f"SEQ-{n:05d}" for n in range(n_items))),
                    b.holding("MAIN", *(f"PAR-{n:05d}" for n in range(n_items))),
                ],
            )
        ],
    }


async def populate(url: str, n_items: int) -> str:
    """Load the node's data and the broker; the broker's secret."""
    engine = make_engine(url)
    try:
        await upgrade(engine)
        sessions = make_sessionmaker(engine)
        async with sessions() as session:
            await load(session, json.dumps(data(n_items)))
        async with sessions() as session:
            _, secret = await partners.create_partner(
                session,
                actor=staff_principal("BENCH"),
                spec=partners.PartnerSpec(
                    code="BROKER",
                    name="Bench broker",
                    protocol=PartnerProtocol.NCIP,
                    agency_type="NCIP",
                    agency_value="BROKER",
                    endpoint_url="http://127.0.0.1:9/ncip",
                ),
            )
    finally:
        await engine.dispose()
    return secret


async def _pair(client: httpx.AsyncClient, barcode: str, secret: str, times: list[float]) -> None:
    for body in (
        ncip.check_out_item(barcode, to="BENCH", auth=secret),
        ncip.check_in_item(barcode, to="BENCH", auth=secret),
    ):
        start = time.perf_counter()
        response = await client.post("/ncip", content=body)
        times.append((time.perf_counter() - start) * 1000)
        if response.status_code != 200 or b"Problem" in response.content:
            raise RuntimeError(response.text)


async def measure(base: str, secret: str, n_items: int, concurrency: int) -> dict[str, Any]:
    limits = httpx.Limits(max_connections=concurrency + 1)
    async with httpx.AsyncClient(base_url=base, timeout=60, limits=limits) as client:
        for n in range(5):  # warm-up on the parallel copies' tail
            await _pair(client, f"PAR-{n_items - 1 - n:05d}", secret, [])
        seq: list[float] = []
        start = time.perf_counter()
        for n in range(n_items):
            await _pair(client, f"SEQ-{n:05d}", secret, seq)
        seq_elapsed = time.perf_counter() - start

        par: list[float] = []
        queue = [f"PAR-{n:05d}" for n in range(n_items - 5)]

        async def worker() -> None:
            while queue:
                await _pair(client, queue.pop(), secret, par)

        start = time.perf_counter()
        await asyncio.gather(*(worker() for _ in range(concurrency)))
        par_elapsed = time.perf_counter() - start
    return {
        "pairs": n_items,
        "sequential_pairs_per_s": round(n_items / seq_elapsed, 1),
        "sequential_message_p50_ms": round(statistics.median(seq), 1),
        "sequential_message_p99_ms": round(percentile(seq, 0.99), 1),
        "concurrent_pairs_per_s": round((n_items - 5) / par_elapsed, 1),
        "concurrent_message_p50_ms": round(statistics.median(par), 1),
        "concurrent_message_p99_ms": round(percentile(par, 0.99), 1),
        "concurrency": concurrency,
    }


def run_backend(label: str, url: str, data_dir: Path, args: argparse.Namespace) -> dict[str, Any]:
    secret = asyncio.run(populate(url, args.items))
    print(f"== {label}: loaded", flush=True)
    port = free_ports(1)[0]
    proc = serve_node(data_dir, url, port)
    try:
        wait_healthy(f"http://127.0.0.1:{port}")
        return asyncio.run(
            measure(f"http://127.0.0.1:{port}", secret, args.items, args.concurrency)
        )
    finally:
        proc.terminate()
        proc.wait(10)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--items", type=int, default=300)
    parser.add_argument("--concurrency", type=int, default=8)
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
    print(
        f"\n{'backend':<12} {'pairs/s':>8} {'p50 ms':>7} {'p99 ms':>7}"
        f" {'pairs/s x' + str(args.concurrency):>11} {'p50 ms':>7} {'p99 ms':>7}"
    )
    for backend, r in results.items():
        print(
            f"{backend:<12} {r['sequential_pairs_per_s']:>8} {r['sequential_message_p50_ms']:>7}"
            f" {r['sequential_message_p99_ms']:>7} {r['concurrent_pairs_per_s']:>11}"
            f" {r['concurrent_message_p50_ms']:>7} {r['concurrent_message_p99_ms']:>7}"
        )
    RESULTS.mkdir(exist_ok=True)
    out = RESULTS / "ncip.json"
    out.write_text(json.dumps({"args": vars(args), "results": results}, indent=2))
    print(f"\nwritten to {out}")


if __name__ == "__main__":
    main()
