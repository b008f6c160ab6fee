"""Network Activity fan-out benchmark (issue 4).

One patron linked at N = 1, 10, 50 members, typical (5 loans, 2 requests, 1 fee per member)
and heavy (20/10/5) shapes; every member answers after 20 ms. Members are lightweight fakes
(bench/fake_members.py, one aiohttp process); the hub is the real one (`network_hub` app under
uvicorn, its own process, real index sync, real caller-token check). In the same run:

- floor: a bare concurrent aiohttp client fetching the same members' answers directly;
- sequential: the same member calls one after another (the naive baseline);
- throughput: hub requests/s at N = 10 with 20 concurrent callers.

    .venv/bin/python -m bench.bench_network_activity [--iterations 200] [--quick]
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
from collections.abc import Awaitable, Callable
from pathlib import Path

import aiohttp

from bench.common import CpuQuota, free_ports, pct, timed, wait_http
from network_common.keys import SigningKey
from network_common.tokens import RoleGrant, issue
from network_common.vocabulary import PrincipalKind, StaffRoleType

HOME = "HOME"
PATRON = "P1"
SHAPES = {"typical": (5, 2, 1), "heavy": (20, 10, 5)}
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
UPSTREAM = json.dumps(
    {
        "query": 'query { networkActivity(patrons: [{homeInstitution: "HOME", '
        'homeUserId: "P1"}]) { found } }',
        "variables": {},
    }
).encode()


def spawn(args: list[str], **kwargs: object) -> subprocess.Popen[bytes]:
    return subprocess.Popen(args, **kwargs)  # type: ignore[call-overload]


async def interleaved(
    a: Callable[[], Awaitable[None]],
    b: Callable[[], Awaitable[None]],
    iterations: int,
    *,
    warmup: int,
) -> tuple[list[float], list[float]]:
    for _ in range(warmup):
        await a()
        await b()
    samples_a: list[float] = []
    samples_b: list[float] = []
    for _ in range(iterations):
        for fn, samples in ((a, samples_a), (b, samples_b)):
            started = time.perf_counter()
            await fn()
            samples.append(time.perf_counter() - started)
    return samples_a, samples_b


class Network:
    """Fake members + a real hub, as subprocesses, for one (N, shape)."""

    def __init__(
        self,
        n: int,
        shape: str,
        workdir: Path,
        key: SigningKey,
        *,
        workers: int = 1,
        tag: str = "",
        share: Network | None = None,
        src: Path | None = None,
        database_url: str | None = None,
        quota: CpuQuota | None = None,
    ) -> None:
        """``share``: use that network's fake members (start only a hub); ``src``: the hub's
        sources come from that ``src`` directory (e.g. a checkout of an older commit);
        ``database_url``: the hub's database (default SQLite in its data directory);
        ``quota``: the hub (all its workers) runs held to that CPU quota."""
        self.database_url = database_url
        self.quota = quota
        self.n, self.shape, self.workdir, self.key = n, shape, workdir, key
        self.workers, self.tag, self.share, self.src = workers, tag, share, src
        self.codes = [HOME] + [f"M{i:03d}" for i in range(1, n + 1)]
        ports = free_ports(len(self.codes) + 1)
        self.member_ports = dict(zip(self.codes, ports[:-1], strict=True))
        if share is not None:  # another hub in front of the same fake members
            self.member_ports = share.member_ports
        self.hub_port = ports[-1]
        self.procs: list[subprocess.Popen[bytes]] = []

    @property
    def hub_url(self) -> str:
        return f"http://127.0.0.1:{self.hub_port}"

    def member_url(self, code: str) -> str:
        return f"http://127.0.0.1:{self.member_ports[code]}"

    async def start(self) -> None:
        loans, requests, fees = SHAPES[self.shape]
        if self.share is None:
            await self._start_members(loans, requests, fees)
        name = f"{self.n}-{self.shape}{self.tag}"
        network_file = self.workdir / f"network-{name}.toml"
        network_file.write_text(
            "".join(
                f'[[members]]\ncode = "{c}"\nname = "Member {c}"\nurl = "{self.member_url(c)}"\n\n'
                for c in self.codes
            )
        )
        hub_dir = self.workdir / f"hub-{name}"
        env = {
            **os.environ,
            "HUB_DATA_DIR": str(hub_dir),
            "HUB_NETWORK_FILE": str(network_file),
            "HUB_PORT": str(self.hub_port),
            "HUB_MEMBER_TIMEOUT_SECONDS": "5",
            "HUB_SYNC_INDEX_ON_START": "true",
            "HUB_INDEX_SYNC_SECONDS": "0",
        }
        if self.src is not None:
            env["PYTHONPATH"] = str(self.src)
        if self.database_url is not None:
            env["HUB_DATABASE_URL"] = self.database_url
        workers = ["--workers", str(self.workers)] if self.workers > 1 else []
        # BENCH_HUB_PROFILE=<file>: the hub runs under cProfile, its stats written at stop.
        profile = os.environ.get("BENCH_HUB_PROFILE")
        profiler = ["-m", "cProfile", "-o", profile] if profile else []
        command = [sys.executable, *profiler, "-m", "network_hub.cli", "serve", *workers]
        hub = spawn(
            command if self.quota is None else self.quota.command(command),
            env=env,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        self.procs.append(hub)
        await wait_http(f"{self.hub_url}/healthz")

    async def _start_members(self, loans: int, requests: int, fees: int) -> None:
        jwks = self.workdir / "home-jwks.json"
        jwks.write_text(json.dumps(self.key.jwks()))
        members = spawn(
            [
                sys.executable, "-m", "bench.fake_members",
                "--codes", ",".join(self.codes),
                "--ports", ",".join(str(self.member_ports[c]) for c in self.codes),
                "--home", HOME, "--patron", PATRON,
                "--loans", str(loans), "--requests", str(requests), "--fees", str(fees),
                "--delay-ms", "20", "--jwks-file", str(jwks),
            ],
            stdout=subprocess.PIPE,
        )  # fmt: skip
        self.procs.append(members)
        assert members.stdout is not None
        await asyncio.get_running_loop().run_in_executor(None, members.stdout.readline)

    def stop(self) -> None:
        if os.environ.get("BENCH_HUB_PROFILE"):
            self.procs[-1].send_signal(signal.SIGINT)  # uvicorn stops, cProfile writes
            self.procs[-1].wait(timeout=30)
        for proc in self.procs:
            proc.terminate()
        for proc in self.procs:
            proc.wait(timeout=10)


def staff_token(key: SigningKey) -> str:
    token, _ = issue(
        key,
        institution=HOME,
        kind=PrincipalKind.STAFF,
        primary_id="bench-admin",
        user_id=1,
        ttl_seconds=3600,
        roles=(RoleGrant(StaffRoleType.CIRCULATION_DESK_MANAGER, None, True),),
    )
    return token


async def measure(net: Network, token: str, iterations: int) -> dict[str, float]:
    body = json.dumps({"query": QUERY, "variables": {"patronId": PATRON}}).encode()
    headers = {"authorization": f"Bearer {token}", "content-type": "application/json"}
    remote = [net.member_url(c) + "/network/graphql" for c in net.codes[1:]]
    expected_loans = net.n * SHAPES[net.shape][0]
    connector = aiohttp.TCPConnector(limit=0)
    async with aiohttp.ClientSession(connector=connector) as session:
        # Wait for the hub's start-up index sync to know every member.
        for _ in range(100):
            async with session.post(net.hub_url + "/graphql", data=body, headers=headers) as r:
                answer = await r.json()
            if answer["data"]["networkActivity"]["loanCount"] == expected_loans:
                break
            await asyncio.sleep(0.1)
        else:
            raise RuntimeError(f"hub answer incomplete: {json.dumps(answer)[:300]}")

        async def hub_call() -> None:
            async with session.post(net.hub_url + "/graphql", data=body, headers=headers) as r:
                await r.read()

        async def fetch(url: str) -> None:
            async with session.post(url, data=UPSTREAM, headers=headers) as r:
                await r.read()

        async def floor_call() -> None:
            await asyncio.gather(*(fetch(u) for u in remote))

        async def sequential_call() -> None:
            for u in remote:
                await fetch(u)

        # Interleaved, so both see the same background load on a shared machine.
        hub, floor = await interleaved(hub_call, floor_call, iterations, warmup=10)
        sequential = await timed(sequential_call, max(5, iterations // max(1, net.n)), 2)
    return {
        "hub_p50": pct(hub, 50),
        "hub_p99": pct(hub, 99),
        "floor_p50": pct(floor, 50),
        "floor_p99": pct(floor, 99),
        "sequential_p50": pct(sequential, 50),
        "ratio_p50": pct(hub, 50) / pct(floor, 50),
    }


async def throughput(net: Network, token: str, callers: int, seconds: float) -> float:
    body = json.dumps({"query": QUERY, "variables": {"patronId": PATRON}}).encode()
    headers = {"authorization": f"Bearer {token}", "content-type": "application/json"}
    done = 0
    deadline = time.perf_counter() + seconds
    async with aiohttp.ClientSession(connector=aiohttp.TCPConnector(limit=0)) as session:

        async def caller() -> None:
            nonlocal done
            while time.perf_counter() < deadline:
                async with session.post(net.hub_url + "/graphql", data=body, headers=headers) as r:
                    await r.read()
                    if r.status == 200:
                        done += 1

        started = time.perf_counter()
        await asyncio.gather(*(caller() for _ in range(callers)))
        return done / (time.perf_counter() - started)


async def run(args: argparse.Namespace) -> int:
    key = SigningKey.generate()
    token = staff_token(key)
    sizes = [int(n) for n in args.sizes.split(",")] if args.sizes else [1, 10, 50]
    if args.quick:
        sizes = [n for n in sizes if n <= 10]
    results: list[tuple[int, str, dict[str, float]]] = []
    rps: float | None = None
    with tempfile.TemporaryDirectory() as tmp:
        for shape in args.shapes.split(","):
            for n in sizes:
                net = Network(n, shape, Path(tmp), key)
                try:
                    await net.start()
                    stats = await measure(net, token, args.iterations)
                    results.append((n, shape, stats))
                    if n == 10 and shape == "typical":
                        rps = await throughput(net, token, 20, args.throughput_seconds)
                finally:
                    net.stop()
                print(
                    f"N={n:<3} {shape:<8} hub p50 {stats['hub_p50']:6.1f} ms  "
                    f"p99 {stats['hub_p99']:6.1f} ms | floor p50 {stats['floor_p50']:6.1f} ms  "
                    f"p99 {stats['floor_p99']:6.1f} ms | hub/floor {stats['ratio_p50']:.2f}x | "
                    f"sequential p50 {stats['sequential_p50']:7.1f} ms",
                    flush=True,
                )
    if rps is not None:
        print(f"throughput at N=10 (typical), 20 concurrent callers: {rps:.0f} requests/s")
    targets = {10: 1.3, 50: 1.6}
    ok = all(
        s["ratio_p50"] <= targets[n]
        for n, shape, s in results
        if shape == "typical" and n in targets
    )
    print("targets (typical: <=1.3x at N=10, <=1.6x at N=50):", "met" if ok else "NOT met")
    return 0


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--iterations", type=int, default=200)
    parser.add_argument("--throughput-seconds", type=float, default=5.0)
    parser.add_argument("--quick", action="store_true", help="N <= 10 only")
    parser.add_argument("--sizes", help="comma-separated member counts (default 1,10,50)")
    parser.add_argument("--shapes", default="typical,heavy")
    raise SystemExit(asyncio.run(run(parser.parse_args())))


if __name__ == "__main__":
    main()
