"""Get It benchmarks (issue 5).

Fan-out (hub): the BRIEF answer for a 50-record page across N = 5 and 20 members, and the FULL
answer for one record across 20 members; 3 items per record per member, every member answers
after 20 ms. Members are lightweight fakes (one aiohttp process, canned availability JSON in
the node network API's shape; they skip the service-token check). The hub is the real one
(``network-hub serve`` under uvicorn, its own process, answer cache off). In the same run the
floor: a bare concurrent aiohttp client posting the hub's very documents to the same members.

Node: the real node's BRIEF availability for 50 records with 1,000,000 items in its catalogue
on PostgreSQL (catalogue made with INSERT ... SELECT generate_series), measured at the service
function and through the network API (ASGI, strawberry included).

    .venv/bin/python -m bench.bench_getit [--iterations 200] [--skip-node] [--skip-fanout]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import subprocess
import sys
import tempfile
from pathlib import Path
from typing import Any

import aiohttp
from aiohttp import web

from bench.common import free_ports, pct, timed, wait_http
from network_hub.getit.fetch import document

HOME = "HOME"
DELAY = 0.020
PAGE = [f"rec-{i:05d}" for i in range(50)]
#: What a results page shows per record and member: available or not, how many, the
#: register/request state (no item lists).
SECTION = "institutionCode available availableCount registration requestable"
FULL_SECTION = (
    SECTION + " institutionName found totalCount access registerOption "
    "holdings { libraryCode libraryName location callNumber "
    "items { barcode status dueAt loanable terms { loanPeriodDays renewalsAllowed "
    "requestable fees { kind amount currency } } } } "
    "pickupPoints { institutionCode libraryCode libraryName }"
)
HUB_QUERY = (
    "query ($ids: [String!]!, $shape: GetItShape!) { getIt(recordIds: $ids, shape: $shape, "
    'homeInstitution: "HOME") { availabilityDisplay records { recordId home { %s } '
    "others { %s } } unavailable { institutionCode code } } }"
)


def cpu_seconds(pid: int) -> float:
    """User + system CPU a process has used (Linux /proc), to show the hub's own cost."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


# -- fake members -----------------------------------------------------------------------------


def _record(code: str, rid: str, detail: str) -> dict[str, Any]:
    items = [
        {
            "barcode": f"{code}-{rid}-{k}",
            "status": "ON_LOAN" if k == 2 else "ON_SHELF",
            "dueAt": "2026-12-01T10:00:00+00:00" if k == 2 else None,
            "loanable": True,
            "terms": None,
        }
        for k in range(3)
    ]
    out: dict[str, Any] = {
        "recordId": rid,
        "found": True,
        "totalItems": 3,
        "availableItems": 2,
        "requestable": False,
    }
    if detail == "FULL":
        out["holdings"] = [
            {
                "libraryCode": "MAIN",
                "libraryName": f"{code} Main Library",
                "location": "STACKS",
                "callNumber": "QA 76.9",
                "items": items,
            }
        ]
        out["pickupPoints"] = None
    return out


def member_app(code: str) -> web.Application:
    rendered: dict[bytes, bytes] = {}

    async def network(request: web.Request) -> web.Response:
        body = await request.read()
        await asyncio.sleep(DELAY)
        payload = rendered.get(body)
        if payload is None:
            variables = json.loads(body).get("variables") or {}
            if "detail" not in variables:
                # Only availability is faked; the hub's other calls (index sync, change
                # feed, partner sync) get a member error, as from a member that cannot.
                refusal = {"errors": [{"message": "not faked", "extensions": {"code": "X"}}]}
                return web.json_response(refusal)
            detail = variables["detail"]
            data = {
                "member": {"networkAvailabilityDisplay": "HOLDINGS"},
                "availability": {
                    "institutionCode": code,
                    "institutionName": f"Member {code}",
                    "uresolverRemoteRegister": "MANUAL",
                    "viewerLinked": False,
                    "personalised": False,
                    "records": [_record(code, rid, detail) for rid in variables["ids"]],
                },
            }
            payload = rendered[body] = json.dumps({"data": data}).encode()
        return web.Response(body=payload, content_type="application/json")

    async def keys(_request: web.Request) -> web.Response:
        return web.json_response({"keys": []})

    app = web.Application()
    app.router.add_post("/network/graphql", network)
    app.router.add_get("/.well-known/jwks.json", keys)
    return app


async def serve_fakes(codes: list[str], ports: list[int]) -> None:
    runners = []
    for code, port in zip(codes, ports, strict=True):
        runner = web.AppRunner(member_app(code), access_log=None)
        await runner.setup()
        await web.TCPSite(runner, "127.0.0.1", port).start()
        runners.append(runner)
    print("ready", flush=True)
    await asyncio.Event().wait()


# -- fan-out ----------------------------------------------------------------------------------


class Network:
    def __init__(self, n: int, workdir: Path) -> None:
        self.codes = [HOME] + [f"M{i:03d}" for i in range(1, n)]
        ports = free_ports(n + 1)
        self.ports = dict(zip(self.codes, ports[:-1], strict=True))
        self.hub_port = ports[-1]
        self.workdir = workdir
        self.procs: list[subprocess.Popen[bytes]] = []

    def url(self, code: str) -> str:
        return f"http://127.0.0.1:{self.ports[code]}"

    def spawn(self) -> None:
        """Start the fake members (and wait until they listen), then the hub."""
        ports = ",".join(str(self.ports[c]) for c in self.codes)
        fakes = subprocess.Popen(
            [sys.executable, "-m", "bench.bench_getit", "--fake-members", ",".join(self.codes),
             "--fake-ports", ports],
            stdout=subprocess.PIPE,
        )  # fmt: skip
        self.procs.append(fakes)
        assert fakes.stdout is not None
        fakes.stdout.readline()
        network_file = self.workdir / f"network-{len(self.codes)}.toml"
        network_file.write_text(
            "".join(
                f'[[members]]\ncode = "{c}"\nname = "Member {c}"\nurl = "{self.url(c)}"\n\n'
                for c in self.codes
            )
        )
        env = {
            **os.environ,
            "HUB_DATA_DIR": str(self.workdir / f"hub-{len(self.codes)}"),
            "HUB_NETWORK_FILE": str(network_file),
            "HUB_PORT": str(self.hub_port),
            "HUB_MEMBER_TIMEOUT_SECONDS": "5",
            "HUB_SYNC_INDEX_ON_START": "false",
            "HUB_INDEX_SYNC_SECONDS": "0",
            "HUB_GETIT_CACHE_TTL": "0",
        }
        hub = subprocess.Popen(
            [sys.executable, "-m", "network_hub.cli", "serve"],
            env=env,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        self.procs.append(hub)

    async def start(self) -> None:
        self.spawn()
        await wait_http(f"http://127.0.0.1:{self.hub_port}/healthz")

    def stop(self) -> None:
        for proc in self.procs:
            proc.terminate()
        for proc in self.procs:
            proc.wait(timeout=10)


async def measure_fanout(
    net: Network, shape: str, ids: list[str], iterations: int
) -> dict[str, float]:
    section = SECTION if shape == "BRIEF" else FULL_SECTION
    hub_body = json.dumps(
        {"query": HUB_QUERY % (section, section), "variables": {"ids": ids, "shape": shape}}
    ).encode()
    upstream = {
        code: json.dumps(
            {
                "query": document(shape, with_display=code == HOME),
                "variables": {"ids": ids, "viewer": None, "detail": shape},
            }
        ).encode()
        for code in net.codes
    }
    headers = {"content-type": "application/json"}
    hub_url = f"http://127.0.0.1:{net.hub_port}/graphql"
    async with aiohttp.ClientSession(connector=aiohttp.TCPConnector(limit=0)) as session:
        async with session.post(hub_url, data=hub_body, headers=headers) as r:
            answer = await r.json()
        got = answer["data"]["getIt"]
        assert not got["unavailable"], got["unavailable"]
        assert len(got["records"][0]["others"]) == len(net.codes) - 1, answer

        async def hub_call() -> None:
            async with session.post(hub_url, data=hub_body, headers=headers) as r:
                await r.read()

        async def fetch(code: str) -> None:
            url = net.url(code) + "/network/graphql"
            async with session.post(url, data=upstream[code], headers=headers) as r:
                await r.read()

        async def floor_call() -> None:
            await asyncio.gather(*(fetch(c) for c in net.codes))

        # Hub and floor samples alternate, so both see the same machine load.
        for _ in range(10):
            await hub_call()
            await floor_call()
        hub: list[float] = []
        floor: list[float] = []
        hub_cpu = 0.0
        for _ in range(iterations):
            cpu_before = cpu_seconds(net.procs[1].pid)
            hub += await timed(hub_call, 1, 0)
            hub_cpu += cpu_seconds(net.procs[1].pid) - cpu_before
            floor += await timed(floor_call, 1, 0)
        hub_cpu /= iterations
    return {
        "hub_cpu": hub_cpu * 1000,
        "hub_p50": pct(hub, 50),
        "hub_p99": pct(hub, 99),
        "floor_p50": pct(floor, 50),
        "floor_p99": pct(floor, 99),
        "ratio": pct(hub, 50) / pct(floor, 50),
    }


async def run_fanout(iterations: int) -> list[str]:
    lines = []
    cases = [(5, "BRIEF", PAGE), (20, "BRIEF", PAGE), (20, "FULL", PAGE[:1])]
    with tempfile.TemporaryDirectory() as tmp:
        for n, shape, ids in cases:
            net = Network(n, Path(tmp))
            try:
                await net.start()
                s = await measure_fanout(net, shape, ids, iterations)
            finally:
                net.stop()
            line = (
                f"{shape:<5} {len(ids):>2} record(s) N={n:<3} hub p50 {s['hub_p50']:6.1f} ms "
                f"p99 {s['hub_p99']:6.1f} ms | floor p50 {s['floor_p50']:6.1f} ms "
                f"p99 {s['floor_p99']:6.1f} ms | hub/floor {s['ratio']:.2f}x | "
                f"hub CPU {s['hub_cpu']:.1f} ms/request"
            )
            print(line, flush=True)
            lines.append(line)
    return lines


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--iterations", type=int, default=200)
    parser.add_argument("--skip-node", action="store_true")
    parser.add_argument("--skip-fanout", action="store_true")
    parser.add_argument("--items", type=int, default=1_000_000)
    parser.add_argument("--fake-members", help=argparse.SUPPRESS)
    parser.add_argument("--fake-ports", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.fake_members:
        ports = [int(p) for p in args.fake_ports.split(",")]
        asyncio.run(serve_fakes(args.fake_members.split(","), ports))
        return
    if not args.skip_fanout:
        asyncio.run(run_fanout(args.iterations))
    if not args.skip_node:
        from bench.bench_getit_node import run_node

        asyncio.run(run_node(args.items, args.iterations))


if __name__ == "__main__":
    main()
