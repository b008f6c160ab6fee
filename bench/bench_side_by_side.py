"""Network Activity side by side (issue 17): floor, hub and Hive Gateway in one run.

For each N (default 10, 50, 100 members; typical shape, 5 loans, 2 requests, 1 fee each;
every member answers after 20 ms) the same fake members (bench/fake_members.py) answer:

- floor: a bare concurrent aiohttp client sending each member the hub's own member document;
- hub: the real hub (``network-hub serve``, its own process, real index sync and token check);
- hive: Hive Gateway 2.15 (``@graphql-hive/gateway``) over a supergraph of the N members
  composed with ``@graphql-mesh/compose-cli`` from the network API's SDL, each member's root
  fields prefixed with its code; the caller asks one aliased field per member for the same row
  fields the hub's caller selects. Hive is not a project dependency: install it in a scratch
  directory and name it with ``--hive-dir`` (or ``BENCH_HIVE_DIR``)::

      mkdir /tmp/hive && cd /tmp/hive && npm init -y && \\
          npm install @graphql-hive/gateway@2.15 @graphql-mesh/compose-cli graphql

  Without it the Hive columns are skipped (the run says so).

Samples of the three are interleaved (floor, hub, hive, floor, ...), so they see the same load.
Then throughput with 20 concurrent callers at N = 10, hub and Hive windows alternating, and the
CPU each server process (and its children) used per query over its windows, from
``/proc/<pid>/stat`` (less sensitive to the machine's load than wall time).

    .venv/bin/python -m bench.bench_side_by_side [--sizes 10,50,100] [--iterations 200]
        [--hive-dir /tmp/hive] [--workers 2] [--throughput-seconds 5] [--rounds 3]

``--pg-hub`` adds the same hub on a scratch PostgreSQL database (``hub/pg``; production's
database: on SQLite each index look-up hops to aiosqlite's thread). ``--compare-src DIR``
adds a second hub whose sources come from DIR (e.g. ``git worktree add /tmp/base <commit>``
then ``/tmp/base/src``) in front of the same members, interleaved too: before/after in one
run. ``--workers W`` runs one more hub with W uvicorn worker processes (``network-hub serve
--workers``), throughput measured against the single-process hub. On a small machine the
load generator and the fake members take the cores a second worker would use; with
``--cpu-per-worker C`` the comparison is instead between a 1-worker and a W-worker hub held to
C and W x C CPUs by cgroup quotas (root only), each on its own PostgreSQL database: whether
the hub's throughput grows with the CPU it is given.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import shutil
import subprocess
import tempfile
import time
from collections.abc import Awaitable, Callable
from pathlib import Path

import aiohttp

from bench.bench_network_activity import PATRON, QUERY, Network, spawn, staff_token
from bench.common import (
    CpuQuota,
    drop_pg_database,
    free_ports,
    pct,
    scratch_pg_database,
    wait_http,
)
from network_common.keys import SigningKey
from network_hub.activity.upstream import NETWORK_ACTIVITY_QUERY

ROOT = Path(__file__).resolve().parent.parent
SDL = ROOT / "schema" / "network.graphql"
CALLERS = 20
Call = Callable[[], Awaitable[None]]

# The row fields the hub's caller (QUERY) selects, asked of each member through Hive.
HIVE_FIELDS = (
    "found loans { title author barcode loanDate dueDate renewals owningLibrary } "
    "requests { title status pickupInstitution placedDate } "
    "fees { type original balance currency owner }"
)


def load_average() -> str:
    return " ".join(Path("/proc/loadavg").read_text().split()[:3])


def cpu_seconds(pid: int) -> float:
    """utime + stime of ``pid`` and every live descendant (uvicorn workers, node forks)."""
    tick = os.sysconf("SC_CLK_TCK")
    children: dict[int, list[int]] = {}
    stats: dict[int, float] = {}
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            raw = (entry / "stat").read_text()
        except OSError:
            continue
        fields = raw.rpartition(")")[2].split()
        ppid = int(fields[1])
        stats[int(entry.name)] = (int(fields[11]) + int(fields[12])) / tick
        children.setdefault(ppid, []).append(int(entry.name))
    total, pending = 0.0, [pid]
    while pending:
        p = pending.pop()
        total += stats.get(p, 0.0)
        pending.extend(children.get(p, []))
    return total


class Hive:
    """Hive Gateway over a composed supergraph of the network's members."""

    def __init__(self, hive_dir: Path, net: Network) -> None:
        self.bin = hive_dir / "node_modules" / ".bin"
        # Inside the install directory, so mesh.config.ts resolves its imports.
        self.workdir = Path(tempfile.mkdtemp(prefix="bench-", dir=hive_dir))
        self.net = net
        self.port = free_ports(1)[0]
        self.proc: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}/graphql"

    def query(self) -> str:
        patron = f'[{{homeInstitution: "{self.net.codes[0]}", homeUserId: "{PATRON}"}}]'
        fields = " ".join(
            f"{c}: {c}_networkActivity(patrons: {patron}) {{ {HIVE_FIELDS} }}"
            for c in self.net.codes[1:]
        )
        return "query Activity { " + fields + " }"

    async def start(self) -> None:
        shutil.copy(SDL, self.workdir / "network.graphql")
        subgraphs = ",\n".join(
            f"    {{ sourceHandler: loadGraphQLHTTPSubgraph('{c}', {{ endpoint: "
            f"'{self.net.member_url(c)}/network/graphql', source: './network.graphql' }}), "
            f"transforms: [createPrefixTransform({{ value: '{c}_', "
            f"includeRootOperations: true }})] }}"
            for c in self.net.codes[1:]
        )
        (self.workdir / "mesh.config.ts").write_text(
            "import { defineConfig, loadGraphQLHTTPSubgraph, createPrefixTransform } "
            "from '@graphql-mesh/compose-cli';\n"
            f"export const composeConfig = defineConfig({{ subgraphs: [\n{subgraphs}\n] }});\n"
        )
        compose = await asyncio.create_subprocess_exec(
            str(self.bin / "mesh-compose"), "-o", "supergraph.graphql",
            cwd=self.workdir, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
        )  # fmt: skip
        _, err = await compose.communicate()
        if compose.returncode != 0:
            raise RuntimeError(f"mesh-compose failed: {err.decode()[-500:]}")
        (self.workdir / "mesh.config.ts").unlink()
        self.proc = spawn(
            [
                str(self.bin / "hive-gateway"), "supergraph", "supergraph.graphql",
                "--host", "127.0.0.1", "--port", str(self.port), "--fork", "1",
            ],
            cwd=self.workdir,
            env={**os.environ, "NODE_ENV": "production"},
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )  # fmt: skip
        await wait_http(f"http://127.0.0.1:{self.port}/healthcheck", within=60)

    def stop(self) -> None:
        if self.proc is not None:
            self.proc.terminate()
            self.proc.wait(timeout=10)
        shutil.rmtree(self.workdir, ignore_errors=True)


async def post(
    session: aiohttp.ClientSession, url: str, body: bytes, headers: dict[str, str]
) -> bytes:
    async with session.post(url, data=body, headers=headers) as r:
        raw = await r.read()
        if r.status != 200:
            raise RuntimeError(f"{url}: HTTP {r.status} {raw[:200]!r}")
        return raw


async def latency(
    calls: dict[str, Call], iterations: int, warmup: int = 10
) -> dict[str, list[float]]:
    for _ in range(warmup):
        for fn in calls.values():
            await fn()
    samples: dict[str, list[float]] = {name: [] for name in calls}
    for _ in range(iterations):
        for name, fn in calls.items():
            started = time.perf_counter()
            await fn()
            samples[name].append(time.perf_counter() - started)
    return samples


async def window(call: Call, seconds: float) -> tuple[int, float]:
    """Requests done by CALLERS concurrent callers of ``call`` within ``seconds``."""
    done = 0
    deadline = time.perf_counter() + seconds

    async def caller() -> None:
        nonlocal done
        while time.perf_counter() < deadline:
            await call()
            done += 1

    started = time.perf_counter()
    await asyncio.gather(*(caller() for _ in range(CALLERS)))
    return done, time.perf_counter() - started


async def throughput(
    targets: dict[str, tuple[Call, int]], seconds: float, rounds: int
) -> dict[str, tuple[float, float]]:
    """name -> (requests/s, server CPU ms per request), windows alternating between targets."""
    totals = {name: [0, 0.0, 0.0] for name in targets}
    for _ in range(rounds):
        for name, (call, pid) in targets.items():
            cpu = cpu_seconds(pid)
            done, elapsed = await window(call, seconds)
            t = totals[name]
            t[0] += done
            t[1] += elapsed
            t[2] += cpu_seconds(pid) - cpu
    return {n: (t[0] / t[1], 1000 * t[2] / max(1, t[0])) for n, t in totals.items()}


def hub_body() -> bytes:
    return json.dumps({"query": QUERY, "variables": {"patronId": PATRON}}).encode()


async def wait_hub_ready(session: aiohttp.ClientSession, net: Network, token: str) -> None:
    headers = {"authorization": f"Bearer {token}", "content-type": "application/json"}
    for _ in range(200):
        raw = await post(session, net.hub_url + "/graphql", hub_body(), headers)
        if json.loads(raw)["data"] is None:
            raise RuntimeError(f"hub refused: {raw[:300]!r}")
        if json.loads(raw)["data"]["networkActivity"]["loanCount"] == net.n * 5:
            return
        await asyncio.sleep(0.1)
    raise RuntimeError("hub answer incomplete")


async def scaling_hubs(
    args: argparse.Namespace,
    n: int,
    tmp: Path,
    key: SigningKey,
    net: Network,
    session: aiohttp.ClientSession,
    token: str,
    targets: dict[str, tuple[Call, int]],
) -> list[Network]:
    """The hubs ``--workers`` compares, added to ``targets`` (started; the caller stops
    them): one with W workers beside the single-process hub; with ``--cpu-per-worker C``,
    a single-process hub and a W-worker hub held to C and W x C CPUs (cgroup quotas), each
    on its own PostgreSQL database (production's set-up), so that the hub, not the load
    generator or the fake members sharing the machine, is what limits each."""
    w, cores = args.workers, args.cpu_per_worker
    plans: list[tuple[str, int, CpuQuota | None]] = [(f"hub x{w}", w, None)]
    if cores is not None:
        plans = [
            (f"capped x1 ({cores:g} CPU)", 1, CpuQuota("lfn-bench-hub-x1", cores)),
            (f"capped x{w} ({w * cores:g} CPU)", w, CpuQuota(f"lfn-bench-hub-x{w}", w * cores)),
        ]
    started: list[Network] = []
    headers = {"authorization": f"Bearer {token}", "content-type": "application/json"}
    for name, workers, quota in plans:
        url = await scratch_pg_database() if quota is not None else None
        hub = Network(
            n, "typical", tmp, key, workers=workers, tag=f"w{workers}", share=net,
            database_url=url, quota=quota,
        )  # fmt: skip
        started.append(hub)
        await hub.start()
        await wait_hub_ready(session, hub, token)
        hub_url = hub.hub_url + "/graphql"

        async def call(url: str = hub_url) -> None:
            await post(session, url, hub_body(), headers)

        targets[name] = (call, hub.procs[-1].pid)
    return started


async def run_size(
    n: int, args: argparse.Namespace, key: SigningKey, token: str, tmp: Path
) -> dict[str, object]:
    net = Network(n, "typical", tmp, key)
    hive = Hive(args.hive_dir, net) if args.hive_dir else None
    others: list[Network] = []  # the --workers hubs
    base: Network | None = None
    pg: Network | None = None
    pg_url: str | None = None
    try:
        await net.start()
        if args.compare_src:
            base = Network(n, "typical", tmp, key, tag="base", share=net, src=args.compare_src)
            await base.start()
        if args.pg_hub:
            pg_url = await scratch_pg_database()
            if pg_url is None:
                print("PostgreSQL not reachable: no hub/pg")
            else:
                pg = Network(n, "typical", tmp, key, tag="pg", share=net, database_url=pg_url)
                await pg.start()
        if hive is not None:
            await hive.start()
        headers = {"authorization": f"Bearer {token}", "content-type": "application/json"}
        body = hub_body()
        upstream = json.dumps(
            {
                "query": NETWORK_ACTIVITY_QUERY,
                "variables": {"patrons": [{"homeInstitution": net.codes[0], "homeUserId": PATRON}]},
            }
        ).encode()
        remote = [net.member_url(c) + "/network/graphql" for c in net.codes[1:]]
        async with aiohttp.ClientSession(connector=aiohttp.TCPConnector(limit=0)) as session:
            await wait_hub_ready(session, net, token)

            async def floor() -> None:
                await asyncio.gather(*(post(session, u, upstream, headers) for u in remote))

            async def hub() -> None:
                await post(session, net.hub_url + "/graphql", body, headers)

            calls: dict[str, Call] = {"floor": floor, "hub": hub}
            if base is not None:
                await wait_hub_ready(session, base, token)
                base_url = base.hub_url + "/graphql"

                async def hub_base() -> None:
                    await post(session, base_url, body, headers)

                calls["hub@base"] = hub_base
            if pg is not None:
                await wait_hub_ready(session, pg, token)
                pg_hub_url = pg.hub_url + "/graphql"

                async def hub_pg() -> None:
                    await post(session, pg_hub_url, body, headers)

                calls["hub/pg"] = hub_pg
            if hive is not None:
                hive_body = json.dumps({"query": hive.query()}).encode()
                hive_headers = {"content-type": "application/json"}
                check = json.loads(await post(session, hive.url, hive_body, hive_headers))
                if check.get("errors") or len(check["data"]) != n:
                    raise RuntimeError(f"hive answer: {json.dumps(check)[:300]}")

                async def hive_call() -> None:
                    await post(session, hive.url, hive_body, hive_headers)

                calls["hive"] = hive_call
            samples = await latency(calls, args.iterations)
            result: dict[str, object] = {
                "n": n,
                "p50": {k: pct(v, 50) for k, v in samples.items()},
                "p99": {k: pct(v, 99) for k, v in samples.items()},
            }
            if n == 10:
                targets: dict[str, tuple[Call, int]] = {"hub": (hub, net.procs[-1].pid)}
                if base is not None:
                    targets["hub@base"] = (calls["hub@base"], base.procs[-1].pid)
                if pg is not None:
                    targets["hub/pg"] = (calls["hub/pg"], pg.procs[-1].pid)
                if hive is not None and hive.proc is not None:
                    targets["hive"] = (calls["hive"], hive.proc.pid)
                if args.workers > 1:
                    capped = await scaling_hubs(args, n, tmp, key, net, session, token, targets)
                    others.extend(capped)
                await window(hub, 1.0)  # warm the connection pools
                result["throughput"] = await throughput(
                    targets, args.throughput_seconds, args.rounds
                )
        return result
    finally:
        for other in (*others, base, pg):
            if other is not None:
                other.stop()
        for other in others:
            if other.quota is not None:
                other.quota.remove()
            if other.database_url is not None:
                await drop_pg_database(other.database_url)
        if pg_url is not None:
            await drop_pg_database(pg_url)
        if hive is not None:
            hive.stop()
        net.stop()


def report(results: list[dict[str, object]], hive: bool) -> None:
    print(f"\nload average after the run: {load_average()}")
    names = [k for k in results[0]["p50"] if k != "floor"]  # type: ignore[attr-defined]
    print("\nN    floor p50 | " + " | ".join(f"{k} p50 (x floor)" for k in names))
    for r in results:
        p50: dict[str, float] = r["p50"]  # type: ignore[assignment]
        f = p50["floor"]
        line = f"{r['n']:<4} {f:7.1f} ms"
        for k in names:
            line += f" | {p50[k]:6.1f} ms ({p50[k] / f:.2f}x)"
        print(line)
    for r in results:
        tp: dict[str, tuple[float, float]] | None = r.get("throughput")  # type: ignore[assignment]
        if not tp:
            continue
        print(f"\nthroughput at N={r['n']}, {CALLERS} concurrent callers (server CPU per query):")
        for name, (rps, cpu) in tp.items():
            print(f"  {name:<10} {rps:7.1f} requests/s  {cpu:6.2f} ms CPU/query")
        if "hive" in tp:
            print(f"  hub / hive throughput: {tp['hub'][0] / tp['hive'][0]:.2f}x")
        if "hub@base" in tp:
            print(f"  hub / hub@base throughput: {tp['hub'][0] / tp['hub@base'][0]:.2f}x")
        for name in tp:
            if name.startswith("hub x"):
                print(f"  {name} / hub throughput: {tp[name][0] / tp['hub'][0]:.2f}x")
        capped = [name for name in tp if name.startswith("capped")]
        if len(capped) == 2:
            one, wide = (tp[c][0] for c in capped)
            print(f"  {capped[1]} / {capped[0]} throughput: {wide / one:.2f}x")
    if not hive:
        print(
            "\nHive Gateway skipped: no --hive-dir / BENCH_HIVE_DIR holding "
            "node_modules/.bin/hive-gateway"
        )


async def run(args: argparse.Namespace) -> int:
    if args.hive_dir and not (args.hive_dir / "node_modules" / ".bin" / "hive-gateway").exists():
        print(f"{args.hive_dir}: no node_modules/.bin/hive-gateway; Hive Gateway skipped")
        args.hive_dir = None
    key = SigningKey.generate()
    token = staff_token(key)
    print(f"load average before the run: {load_average()}")
    results = []
    with tempfile.TemporaryDirectory() as tmp:
        for n in (int(s) for s in args.sizes.split(",")):
            results.append(await run_size(n, args, key, token, Path(tmp)))
            p50 = results[-1]["p50"]
            print(f"N={n}: " + ", ".join(f"{k} p50 {v:.1f} ms" for k, v in p50.items()), flush=True)
    report(results, args.hive_dir is not None)
    out = ROOT / "bench" / "results"
    out.mkdir(exist_ok=True)
    (out / "side_by_side.json").write_text(json.dumps(results, indent=2))
    return 0


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--sizes", default="10,50,100")
    parser.add_argument("--iterations", type=int, default=200)
    parser.add_argument("--throughput-seconds", type=float, default=5.0)
    parser.add_argument("--rounds", type=int, default=3, help="alternating throughput windows")
    parser.add_argument("--workers", type=int, default=1, help="also a hub with W workers")
    parser.add_argument(
        "--cpu-per-worker",
        type=float,
        help="with --workers: compare hubs of 1 and W workers held to this many CPUs per "
        "worker (cgroup quotas; needs root), on PostgreSQL",
    )
    parser.add_argument(
        "--pg-hub",
        action="store_true",
        help="also a hub on a scratch PostgreSQL database (production's set-up; 'hub' is SQLite)",
    )
    parser.add_argument(
        "--compare-src",
        type=Path,
        help="also a hub from this src directory (e.g. an older commit's), same members",
    )
    parser.add_argument(
        "--hive-dir",
        type=Path,
        default=Path(os.environ["BENCH_HIVE_DIR"]) if os.environ.get("BENCH_HIVE_DIR") else None,
        help="directory holding node_modules/.bin/hive-gateway and mesh-compose",
    )
    raise SystemExit(asyncio.run(run(parser.parse_args())))


if __name__ == "__main__":
    main()
