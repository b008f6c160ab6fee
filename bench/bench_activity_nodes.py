"""Network Activity against real nodes on PostgreSQL (issue 17): the hub vs direct calls.

A home node (UNIA, patron P1 and an operator with the consortial services privilege) and
``--members`` real institution nodes (default 3), each ``institution-node serve`` in its own
process on its own scratch PostgreSQL database, each holding a linked account of UNIA:P1 with
the typical patron's activity: 5 loans, 2 requests, 1 fee. The hub is ``network-hub serve``
in its own process (real index sync, real token checks, real service tokens) on its own
scratch PostgreSQL database, as in production (``--sqlite-hub``: on SQLite in its data
directory).

Interleaved in one run:

- direct: the same document the hub sends (``activity.upstream``), to every member at once,
  with a service token of the hub's own key (the floor: what any fan-out must wait for);
- hub: ``networkActivity`` at the hub for the same patron.

Then the CPU (``/proc/<pid>/stat``) each member node spends per ``networkActivity`` call, over
``--cpu-calls`` direct calls, and the hub's CPU per query over as many hub queries.

    .venv/bin/python -m bench.bench_activity_nodes [--members 3] [--iterations 200]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import aiohttp
from tests.support.builders import api_key, holding, record, two_library_institution
from tests.support.network_data import linked_patron

from bench.bench_network_activity import spawn
from bench.bench_side_by_side import cpu_seconds, load_average
from bench.common import (
    drop_pg_database,
    free_ports,
    pct,
    scratch_pg_database,
    serve_node,
    wait_http,
)
from institution_node.loader.load import load
from institution_node.runtime import NodeRuntime
from institution_node.settings import NodeSettings
from institution_node.store.migrate import upgrade
from network_common.keys import KeyRing
from network_hub.activity.upstream import NETWORK_ACTIVITY_QUERY
from network_hub.members.service_tokens import ServiceTokens
from network_hub.runtime import SIGNING_KEY_FILE

HOME = "UNIA"
PATRON = "P1"
LOANS, REQUESTS, FEES = 5, 2, 1
QUERY = """
query Activity($patronId: String!) {
  networkActivity(patronId: $patronId) {
    hasNetworkActivity loanCount requestCount hasFees feeBalances { amount currency }
    institutions { code name loanCount requestCount feeCount }
    loans { institutionCode institutionName title author barcode loanDate dueDate renewals
            owningLibrary }
    requests { institutionCode institutionName title status pickupInstitution placedDate }
    fees { institutionCode institutionName type original balance currency owner }
    unavailable { institutionCode code message }
  }
}
"""


def member_data(code: str) -> dict[str, Any]:
    """A member holding UNIA:P1's linked account with LOANS loans and FEES fees (requests
    are added after loading: load files carry none)."""
    data = two_library_institution(code)
    data["users"].append(linked_patron(HOME, PATRON))
    barcodes = [f"{code}-X{i}" for i in range(LOANS)]
    data["records"].append(
        record("rec-loans", title="A Study of Things", holdings=[holding("MAIN", *barcodes)])
    )
    data["loans"] = [
        {
            "barcode": b,
            "patron": f"{HOME}:{PATRON}",
            "desk": "MAIN-DESK",
            "loaned_at": "2026-01-05T10:00:00Z",
            "due_at": "2026-02-02T10:00:00Z",
            "renewals": i % 3,
        }
        for i, b in enumerate(barcodes)
    ]
    data["fees"] = [
        {"patron": f"{HOME}:{PATRON}", "type": "OVERDUE", "owner": "MAIN", "amount": "12.50"}
        for _ in range(FEES)
    ]
    return data


async def prepare(data: dict[str, Any], data_dir: Path, url: str, requests: int) -> None:
    from sqlalchemy import select

    from institution_node.store.models import BibRecord, Library, User
    from institution_node.store.models.requests import Request

    runtime = NodeRuntime.create(NodeSettings(data_dir=data_dir, database_url=url))
    try:
        await upgrade(runtime.engine)
        async with runtime.sessions() as session:
            await load(session, json.dumps(data))
        async with runtime.sessions() as session, session.begin():
            user = await session.scalar(
                select(User.id).where(User.primary_id == f"{HOME}:{PATRON}")
            )
            bib = await session.scalar(select(BibRecord.id).where(BibRecord.title == "Title rec-1"))
            main = await session.scalar(select(Library.id).where(Library.code == "MAIN"))
            for _ in range(requests):
                session.add(
                    Request(
                        kind="PATRON",
                        user_id=user,
                        bib_id=bib,
                        pickup_institution=data["institution"]["code"],
                        pickup_library_id=main,
                        managing_library_id=main,
                        status="PLACED",
                    )
                )
    finally:
        await runtime.engine.dispose()


async def run(args: argparse.Namespace) -> int:
    codes = [HOME] + [f"UNM{i}" for i in range(1, args.members + 1)]
    databases: list[str] = []
    procs: list[subprocess.Popen[bytes]] = []
    print(f"load average before the run: {load_average()}")
    try:
        with tempfile.TemporaryDirectory() as tmp_name:
            tmp = Path(tmp_name)
            *node_ports, hub_port = free_ports(len(codes) + 1)
            hub_url = f"http://127.0.0.1:{hub_port}"
            hub_dir = tmp / "hub"
            hub_dir.mkdir()
            ring = KeyRing(hub_dir / SIGNING_KEY_FILE)  # the hub's own key, made before it starts
            urls: dict[str, str] = {}
            for code, port in zip(codes, node_ports, strict=True):
                db = await scratch_pg_database()
                if db is None:
                    print("PostgreSQL not reachable (BENCH_POSTGRES_URL): skipped")
                    return 0
                databases.append(db)
                data = two_library_institution(code) if code == HOME else member_data(code)
                await prepare(data, tmp / code, db, 0 if code == HOME else REQUESTS)
                os.environ["NODE_HUB_JWKS_URL"] = f"{hub_url}/.well-known/jwks.json"
                procs.append(serve_node(tmp / code, db, port))
                urls[code] = f"http://127.0.0.1:{port}"
            network_file = tmp / "network.toml"
            network_file.write_text(
                "".join(
                    f'[[members]]\ncode = "{c}"\nname = "Member {c}"\nurl = "{u}"\n\n'
                    for c, u in urls.items()
                )
            )
            for u in urls.values():  # up before the hub's start-up index sync asks them
                await wait_http(f"{u}/healthz")
            hub_env = {
                **os.environ,
                "HUB_DATA_DIR": str(hub_dir),
                "HUB_NETWORK_FILE": str(network_file),
                "HUB_PORT": str(hub_port),
                "HUB_SYNC_INDEX_ON_START": "true",
                "HUB_INDEX_SYNC_SECONDS": "0",
            }
            if not args.sqlite_hub:  # production's set-up: the hub on PostgreSQL too
                hub_db = await scratch_pg_database()
                assert hub_db is not None  # the nodes' databases were made just before
                databases.append(hub_db)
                hub_env["HUB_DATABASE_URL"] = hub_db
            hub = spawn(
                [sys.executable, "-m", "network_hub.cli", "serve"],
                env=hub_env,
                stdout=subprocess.DEVNULL,
                stderr=subprocess.DEVNULL,
            )
            procs.append(hub)
            await wait_http(f"{hub_url}/healthz")
            pids = " ".join(f"{c}={p.pid}" for c, p in zip(codes, procs, strict=False))
            print(f"processes (for a profiler): {pids} hub={hub.pid}", flush=True)
            await measure(args, urls, hub_url, hub.pid, procs, ring)
    finally:
        for proc in procs:
            proc.terminate()
        for proc in procs:
            proc.wait(timeout=10)
        for db in databases:
            await drop_pg_database(db)
    return 0


async def measure(
    args: argparse.Namespace,
    urls: dict[str, str],
    hub_url: str,
    hub_pid: int,
    procs: list[subprocess.Popen[bytes]],
    ring: KeyRing,
) -> None:
    tokens = ServiceTokens(ring, issuer="network-hub")
    members = [c for c in urls if c != HOME]
    upstream = json.dumps(
        {
            "query": NETWORK_ACTIVITY_QUERY,
            "variables": {"patrons": [{"homeInstitution": HOME, "homeUserId": PATRON}]},
        }
    ).encode()
    body = json.dumps({"query": QUERY, "variables": {"patronId": PATRON}}).encode()
    async with aiohttp.ClientSession(connector=aiohttp.TCPConnector(limit=0)) as session:
        async with session.post(
            f"{urls[HOME]}/auth/token", json={"api_key": api_key(f"{HOME.lower()}-admin")}
        ) as r:
            staff = (await r.json())["access_token"]
        hub_headers = {"authorization": f"Bearer {staff}", "content-type": "application/json"}

        async def hub_raw() -> tuple[int, bytes]:
            async with session.post(f"{hub_url}/graphql", data=body, headers=hub_headers) as r:
                return r.status, await r.read()

        async def hub_call() -> None:
            # As a direct call is read: the bytes, checked for errors, not decoded (decoding
            # the answer is the caller's work, on either side).
            status, raw = await hub_raw()
            if status != 200 or b'"errors"' in raw:
                raise RuntimeError(f"hub: {raw[:300]!r}")

        for _ in range(200):
            answer = json.loads((await hub_raw())[1])
            activity = (answer.get("data") or {}).get("networkActivity") or {}
            if activity.get("loanCount") == LOANS * len(members):
                break
            await asyncio.sleep(0.1)
        else:
            raise RuntimeError(f"hub answer incomplete: {json.dumps(answer)[:400]}")
        assert activity["requestCount"] == REQUESTS * len(members), activity

        async def direct(code: str) -> None:
            headers = {
                "authorization": f"Bearer {tokens.for_member(code)}",
                "content-type": "application/json",
            }
            async with session.post(
                f"{urls[code]}/network/graphql", data=upstream, headers=headers
            ) as r:
                raw = await r.read()
                if r.status != 200 or b'"errors"' in raw:
                    raise RuntimeError(f"{code}: {raw[:300]!r}")

        async def floor() -> None:
            await asyncio.gather(*(direct(c) for c in members))

        async def hub() -> None:
            await hub_call()

        for _ in range(10):
            await floor()
            await hub()
        samples: dict[str, list[float]] = {"direct": [], "hub": []}
        for _ in range(args.iterations):
            for name, fn in (("direct", floor), ("hub", hub)):
                started = time.perf_counter()
                await fn()
                samples[name].append(time.perf_counter() - started)
        node_pids = [p.pid for p in procs[1 : len(members) + 1]]
        before = [cpu_seconds(p) for p in node_pids]
        for _ in range(args.cpu_calls):
            await floor()
        node_cpu = [
            1000 * (cpu_seconds(p) - b) / args.cpu_calls
            for p, b in zip(node_pids, before, strict=True)
        ]
        hub_before = cpu_seconds(hub_pid)
        for _ in range(args.cpu_calls):
            await hub()
        hub_cpu = 1000 * (cpu_seconds(hub_pid) - hub_before) / args.cpu_calls
    d50, h50 = pct(samples["direct"], 50), pct(samples["hub"], 50)
    print(f"load average after the run: {load_average()}")
    print(
        f"{len(members)} real nodes (PostgreSQL), {LOANS} loans, {REQUESTS} requests, {FEES} fee "
        f"each:\n  direct parallel p50 {d50:.1f} ms (p99 {pct(samples['direct'], 99):.1f}) | "
        f"hub p50 {h50:.1f} ms (p99 {pct(samples['hub'], 99):.1f}) | hub/direct {h50 / d50:.2f}x"
    )
    print(
        "  node CPU per networkActivity call: "
        + ", ".join(f"{c} {v:.2f} ms" for c, v in zip(members, node_cpu, strict=True))
        + f" | hub CPU per query {hub_cpu:.2f} ms (sequential calls)"
    )


def _interrupted(_signum: int, _frame: object) -> None:
    raise KeyboardInterrupt


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--members", type=int, default=3)
    parser.add_argument("--iterations", type=int, default=200)
    parser.add_argument("--cpu-calls", type=int, default=200)
    parser.add_argument(
        "--sqlite-hub",
        action="store_true",
        help="the hub on SQLite in its data directory (default: its own PostgreSQL database)",
    )
    # Stopped from outside (timeout, kill): still stop the servers and drop the databases.
    signal.signal(signal.SIGTERM, _interrupted)
    raise SystemExit(asyncio.run(run(parser.parse_args())))


if __name__ == "__main__":
    main()
