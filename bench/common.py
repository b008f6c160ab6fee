"""Pieces every benchmark uses: free ports, starting and awaiting servers, scratch
PostgreSQL databases, timing loops and percentiles."""

from __future__ import annotations

import asyncio
import os
import socket
import subprocess
import sys
import time
import uuid
from collections.abc import Awaitable, Callable
from pathlib import Path

import aiohttp
import httpx

PG_URL = os.environ.get("BENCH_POSTGRES_URL", "postgresql+asyncpg://postgres@127.0.0.1:5432/test")


def free_ports(n: int) -> list[int]:
    """``n`` distinct loopback ports that are free right now."""
    socks = []
    for _ in range(n):
        s = socket.socket()
        s.bind(("127.0.0.1", 0))
        socks.append(s)
    ports = [int(s.getsockname()[1]) for s in socks]
    for s in socks:
        s.close()
    return ports


def serve_node(data_dir: Path, url: str, port: int) -> subprocess.Popen[bytes]:
    """``institution-node serve`` on ``port`` against the database at ``url``."""
    exe = Path(sys.executable).with_name("institution-node")
    args = ["--data-dir", str(data_dir), "--database-url", url, "serve", "--port", str(port)]
    return subprocess.Popen(
        [str(exe), *args],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        env={**os.environ, "NODE_INTROSPECTION": "false"},
    )


def wait_healthy(base: str, within: float = 30.0) -> None:
    """Block until ``<base>/healthz`` answers 200."""
    deadline = time.monotonic() + within
    while time.monotonic() < deadline:
        try:
            if httpx.get(f"{base}/healthz", timeout=1).status_code == 200:
                return
        except httpx.HTTPError:
            pass
        time.sleep(0.2)
    raise RuntimeError(f"{base} did not start")


async def wait_http(url: str, within: float = 30.0) -> None:
    """Wait until ``url`` answers anything but a server error."""
    deadline = time.monotonic() + within
    async with aiohttp.ClientSession() as session:
        while True:
            try:
                async with session.get(url) as response:
                    if response.status < 500:
                        return
            except aiohttp.ClientError:
                pass
            if time.monotonic() > deadline:
                raise RuntimeError(f"{url} did not come up")
            await asyncio.sleep(0.1)


async def scratch_pg_database() -> str | None:
    """A new empty PostgreSQL database (its URL), or None when PostgreSQL is absent."""
    try:
        import asyncpg

        admin = await asyncpg.connect(PG_URL.replace("postgresql+asyncpg", "postgresql"), timeout=3)
    except Exception:  # absent server: SQLite only
        return None
    name = f"bench_{uuid.uuid4().hex[:10]}"
    await admin.execute(f'CREATE DATABASE "{name}"')
    await admin.close()
    return f"{PG_URL.rpartition('/')[0]}/{name}"


async def drop_pg_database(url: str) -> None:
    import asyncpg

    admin = await asyncpg.connect(PG_URL.replace("postgresql+asyncpg", "postgresql"), timeout=3)
    await admin.execute(f'DROP DATABASE IF EXISTS "{url.rpartition("/")[2]}" WITH (FORCE)')
    await admin.close()


def percentile(values: list[float], q: float) -> float:
    """The ``q`` quantile (0..1) of ``values``, nearest rank, same unit."""
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))]


def pct(samples: list[float], p: float) -> float:
    """The p-th percentile of ``samples`` (seconds), in milliseconds."""
    return percentile(samples, p / 100) * 1000


async def timed(fn: Callable[[], Awaitable[None]], iterations: int, warmup: int) -> list[float]:
    """Seconds per call of ``fn`` over ``iterations`` calls after ``warmup`` calls."""
    for _ in range(warmup):
        await fn()
    samples = []
    for _ in range(iterations):
        started = time.perf_counter()
        await fn()
        samples.append(time.perf_counter() - started)
    return samples


class CpuQuota:
    """A cgroup holding the processes started through :meth:`command` (and their children,
    e.g. uvicorn's workers) to ``cores`` CPUs: the cgroup v1 ``cpu`` controller's CFS quota,
    else cgroup v2's ``cpu.max``. Needs root (the benchmarks' machines run as root); the
    quota is enforced every ``period_us`` (short, so a throttled server stalls briefly)."""

    V1 = Path("/sys/fs/cgroup/cpu")
    V2 = Path("/sys/fs/cgroup")

    def __init__(self, name: str, cores: float, *, period_us: int = 20_000) -> None:
        quota = max(1000, int(cores * period_us))
        if (self.V1 / "cpu.cfs_quota_us").exists():
            self.path = self.V1 / name
            self.path.mkdir(exist_ok=True)
            (self.path / "cpu.cfs_period_us").write_text(str(period_us))
            (self.path / "cpu.cfs_quota_us").write_text(str(quota))
        elif "cpu" in (self.V2 / "cgroup.controllers").read_text().split():
            self.path = self.V2 / name
            self.path.mkdir(exist_ok=True)
            (self.path / "cpu.max").write_text(f"{quota} {period_us}")
        else:
            raise RuntimeError("no cgroup cpu controller to hold a CPU quota")
        self.cores = cores

    def command(self, args: list[str]) -> list[str]:
        """``args`` started inside the cgroup (the shell joins it, then becomes ``args``)."""
        procs = self.path / "cgroup.procs"
        return ["sh", "-c", f'echo $$ > {procs} && exec "$@"', "sh", *args]

    def throttled_seconds(self) -> float:
        """How long the quota has held the cgroup's processes back so far."""
        for line in (self.path / "cpu.stat").read_text().splitlines():
            name, _, value = line.partition(" ")
            if name == "throttled_time":  # v1, ns
                return int(value) / 1e9
            if name == "throttled_usec":  # v2
                return int(value) / 1e6
        return 0.0

    def remove(self) -> None:
        """Remove the cgroup (its processes must have exited)."""
        for _ in range(100):
            try:
                self.path.rmdir()
                return
            except OSError:  # the kernel releases an emptied cgroup asynchronously
                time.sleep(0.05)
