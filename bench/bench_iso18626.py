"""Incoming ISO 18626 messages processed per second at one node (issue 12).

A real node (``institution-node serve`` under uvicorn, jobs off) against SQLite and, when
reachable, PostgreSQL; an outside partner with a secret; ``--clients`` concurrent senders
POST over HTTP:

1. ``request`` — N new Requests (each creates a lending request matched to a record:
   parse, XSD check, authentication, the dedup row, the request and its history);
2. ``cancel`` — a Cancel for each (a state change, its history and a cancel response
   queued in the outbox, in one transaction);
3. ``repeat`` — each Cancel again (recognised: the stored confirmation, nothing changes).

Every answer must be an OK confirmation; the node's counts are checked at the end (N
lending requests, N cancelled, N queued answers: nothing doubled).

    .venv/bin/python -m bench.bench_iso18626 [--messages 2000] [--clients 8] [--port 0]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import tempfile
import time
from pathlib import Path
from typing import Any

import httpx
from sqlalchemy import func, select
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
from institution_node.services.resource_sharing import partners
from institution_node.store.migrate import upgrade
from institution_node.store.models import LendingRequest, OutboxMessage
from network_common.db import make_engine, make_sessionmaker
from network_common.tokens import Principal, RoleGrant
from network_common.vocabulary import PrincipalKind, StaffRoleType

RESULTS = Path(__file__).with_name("results")
AGENCY = "XX-BENCH"
RECORDS = 200

HEADER = """<header>
  <supplyingAgencyId><agencyIdType>NETWORK</agencyIdType><agencyIdValue>BENCH</agencyIdValue>
  </supplyingAgencyId>
  <requestingAgencyId><agencyIdType>ISIL</agencyIdType><agencyIdValue>{agency}</agencyIdValue>
  </requestingAgencyId>
  <multipleItemRequestId/>
  <timestamp>2026-12-01T10:{minute:02d}:00.000Z</timestamp>
  <requestingAgencyRequestId>{rid}</requestingAgencyRequestId>
</header>"""
OPEN = (
    '<ISO18626Message xmlns="http://illtransactions.org/2013/iso18626" '
    'xmlns:ill="http://illtransactions.org/2013/iso18626" ill:version="1.2">'
)


def request_xml(n: int) -> bytes:
    header = HEADER.format(agency=AGENCY, minute=0, rid=f"B-{n}")
    return (
        f"{OPEN}<request>{header}<bibliographicInfo>"
        f"<supplierUniqueRecordId>br-{n % RECORDS}</supplierUniqueRecordId>"
        f"<title>Bench title {n % RECORDS}</title><author>A. Author</author>"
        "</bibliographicInfo><serviceInfo><serviceType>Loan</serviceType></serviceInfo>"
        f"<patronInfo><patronId>P{n}</patronId><surname>Reader</surname></patronInfo>"
        "</request></ISO18626Message>"
    ).encode()


def cancel_xml(n: int) -> bytes:
    header = HEADER.format(agency=AGENCY, minute=5, rid=f"B-{n}")
    return (
        f"{OPEN}<requestingAgencyMessage>{header}<action>Cancel</action>"
        "<note>not needed</note></requestingAgencyMessage></ISO18626Message>"
    ).encode()


def data() -> dict[str, Any]:
    d = b.two_library_institution("BENCH")
    d["records"] += [
        b.record(f"br-{n}", title=f"Bench title {n}", holdings=[b.holding("MAIN", f"BR-{n}")])
        for n in range(RECORDS)
    ]
    return d


MANAGER = Principal(
    kind=PrincipalKind.STAFF,
    institution="BENCH",
    user_id=None,
    primary_id="bench",
    session_id="bench",
    roles=(RoleGrant(StaffRoleType.FULFILLMENT_SERVICES_MANAGER, None, False),),
)


async def prepare(url: str) -> str:
    engine = make_engine(url)
    try:
        await upgrade(engine)
        sessions = make_sessionmaker(engine)
        async with sessions() as session:
            await load(session, json.dumps(data()))
        async with sessions() as session:
            _, secret = await partners.create_partner(
                session,
                actor=MANAGER,
                spec=partners.PartnerSpec(
                    code="BENCHPART",
                    name="Bench partner",
                    agency_type="ISIL",
                    agency_value=AGENCY,
                    endpoint_url="http://127.0.0.1:9/iso18626",
                ),
            )
        return secret
    finally:
        await engine.dispose()


async def blast(
    base: str, secret: str, bodies: list[bytes], clients: int
) -> tuple[float, list[float]]:
    """Send every body with ``clients`` concurrent senders; (seconds, latencies)."""
    queue: asyncio.Queue[bytes] = asyncio.Queue()
    for body in bodies:
        queue.put_nowait(body)
    latencies: list[float] = []
    headers = {"authorization": f"Bearer {secret}", "content-type": "application/xml"}

    async def worker(http: httpx.AsyncClient) -> None:
        while not queue.empty():
            body = queue.get_nowait()
            started = time.perf_counter()
            response = await http.post(f"{base}/iso18626", content=body, headers=headers)
            latencies.append(time.perf_counter() - started)
            if response.status_code != 200 or b">OK<" not in response.content:
                raise RuntimeError(f"not OK: {response.status_code} {response.text[:300]}")

    limits = httpx.Limits(max_connections=clients, max_keepalive_connections=clients)
    async with httpx.AsyncClient(timeout=60, limits=limits) as http:
        started = time.perf_counter()
        await asyncio.gather(*(worker(http) for _ in range(clients)))
        return time.perf_counter() - started, latencies


async def check(url: str, n: int) -> dict[str, int]:
    engine = make_engine(url)
    try:
        async with make_sessionmaker(engine)() as session:
            measured = LendingRequest.partner_request_id.not_like("B--%")  # not the warm-up
            lending = await session.scalar(
                select(func.count()).select_from(LendingRequest).where(measured)
            )
            cancelled = await session.scalar(
                select(func.count())
                .select_from(LendingRequest)
                .where(LendingRequest.status == "CANCELLED")
            )
            queued = await session.scalar(select(func.count()).select_from(OutboxMessage))
    finally:
        await engine.dispose()
    counts = {"lending": int(lending or 0), "cancelled": int(cancelled or 0)}
    counts["queued"] = int(queued or 0)
    if counts != {"lending": n, "cancelled": n, "queued": n}:
        raise RuntimeError(f"counts after the run: {counts} (expected {n} each)")
    return counts


async def run_backend(name: str, url: str, port: int, n: int, clients: int) -> dict[str, Any]:
    secret = await prepare(url)
    with tempfile.TemporaryDirectory() as data_dir:
        server = serve_node(Path(data_dir), url, port)
        base = f"http://127.0.0.1:{port}"
        try:
            await asyncio.to_thread(wait_healthy, base)
            await blast(base, secret, [request_xml(-1 - k) for k in range(20)], clients)  # warm
            figures: dict[str, Any] = {}
            phases = (
                ("request", [request_xml(k) for k in range(n)]),
                ("cancel", [cancel_xml(k) for k in range(n)]),
                ("repeat", [cancel_xml(k) for k in range(n)]),
            )
            for label, bodies in phases:
                seconds, latencies = await blast(base, secret, bodies, clients)
                figures[label] = {
                    "messages": len(bodies),
                    "per_s": round(len(bodies) / seconds, 1),
                    "p50_ms": round(percentile(latencies, 0.5) * 1000, 1),
                    "p99_ms": round(percentile(latencies, 0.99) * 1000, 1),
                }
                print(
                    f"{name:10} {label:8} {len(bodies):>6} messages: "
                    f"{len(bodies) / seconds:7.1f}/s  p50 {figures[label]['p50_ms']:6.1f} ms  "
                    f"p99 {figures[label]['p99_ms']:6.1f} ms",
                    flush=True,
                )
        finally:
            server.terminate()
            server.wait(timeout=30)
    figures["counts"] = await check(url, n)
    return figures


async def measure(port: int, n: int, clients: int) -> dict[str, Any]:
    results: dict[str, Any] = {"clients": clients, "load": os.getloadavg()[0]}
    with tempfile.TemporaryDirectory() as tmp:
        url = f"sqlite+aiosqlite:///{Path(tmp) / 'node.db'}"
        results["sqlite"] = await run_backend("SQLite", url, port, n, clients)
    pg = await scratch_pg_database()
    if pg is not None:
        try:
            results["postgres"] = await run_backend("PostgreSQL", pg, port, n, clients)
        finally:
            await drop_pg_database(pg)
    return results


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--messages", type=int, default=2000)
    parser.add_argument("--clients", type=int, default=8)
    parser.add_argument("--port", type=int, default=0)
    args = parser.parse_args()
    os.environ["NODE_JOBS_ENABLED"] = "false"  # nothing but the messages runs
    port = args.port or free_ports(1)[0]
    results = asyncio.run(measure(port, args.messages, args.clients))
    RESULTS.mkdir(exist_ok=True)
    (RESULTS / "iso18626.json").write_text(json.dumps(results, indent=2))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
