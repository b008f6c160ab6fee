"""Large bodies against the hub (issue 10, item 7): does one request hurt everyone?

A real hub process (no members, SQLite) gets 16 concurrent unauthenticated POSTs of a
50 MB GraphQL body (one 50 MB string argument) while a probe asks ``/healthz`` every 20 ms.
Printed per run: the probe's p50 / worst latency during the attack, the hub's peak RSS
(VmHWM) and how the big requests were answered. Two runs in one go: the shipped body cap
(``HUB_MAX_BODY_BYTES``, 1 MiB) and the cap raised to 256 MiB, which stands for "no cap"
(the hub before the limit read whole bodies, then parsed them).

    .venv/bin/python -m bench.bench_request_size [--senders 16] [--megabytes 50]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path

import aiohttp

from bench.common import free_ports


async def wait_up(url: str, within: float = 60.0) -> None:
    """Until the hub answers ``/healthz`` at all (ready or not: it has no member to sync)."""
    deadline = time.monotonic() + within
    async with aiohttp.ClientSession() as session:
        while time.monotonic() < deadline:
            try:
                async with session.get(f"{url}/healthz") as response:
                    await response.read()
                    return
            except aiohttp.ClientError:
                await asyncio.sleep(0.1)
    raise RuntimeError(f"{url} did not come up")


def peak_rss_mb(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    return float("nan")


async def send_all(url: str, senders: int, megabytes: int) -> None:
    """The attacker (its own process, so the probe's timings are the hub's, not ours)."""
    text = "x" * (megabytes * 1024 * 1024)
    query = "query($s: String!) { members { code } }"
    body = json.dumps({"query": query, "variables": {"s": text}}).encode()
    outcomes: Counter[int] = Counter()
    async with aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=300)) as session:

        async def send() -> None:
            try:
                async with session.post(
                    f"{url}/graphql", data=body, headers={"content-type": "application/json"}
                ) as response:
                    await response.read()
                    outcomes[response.status] += 1
            except aiohttp.ClientError:
                outcomes[0] += 1  # the server closed the connection while we were sending

        await asyncio.gather(*(send() for _ in range(senders)))
    print(dict(outcomes), flush=True)


async def attack(url: str, senders: int, megabytes: int) -> tuple[list[float], str]:
    probes: list[float] = []
    done = asyncio.Event()
    async with aiohttp.ClientSession() as session:

        async def probe() -> None:
            while not done.is_set():
                started = time.perf_counter()
                async with session.get(f"{url}/healthz") as response:
                    await response.read()
                probes.append(time.perf_counter() - started)
                await asyncio.sleep(0.02)

        prober = asyncio.create_task(probe())
        sender = await asyncio.create_subprocess_exec(
            sys.executable,
            "-m",
            "bench.bench_request_size",
            "--send",
            url,
            "--senders",
            str(senders),
            "--megabytes",
            str(megabytes),
            stdout=subprocess.PIPE,
        )
        out, _ = await sender.communicate()
        done.set()
        await prober
    return probes, out.decode().strip()


async def one_run(label: str, cap: int | None, senders: int, megabytes: int) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        network = Path(tmp) / "network.toml"
        # One member nobody answers for: the hub has nothing to ask, only bodies to read.
        network.write_text(
            '[[members]]\ncode = "GONE"\nname = "Gone"\nurl = "http://127.0.0.1:9"\n'
        )
        (port,) = free_ports(1)
        env = {
            **os.environ,
            "HUB_DATA_DIR": tmp,
            "HUB_NETWORK_FILE": str(network),
            "HUB_PORT": str(port),
            "HUB_SYNC_INDEX_ON_START": "false",
            "HUB_INDEX_SYNC_SECONDS": "0",
        }
        if cap is not None:
            env["HUB_MAX_BODY_BYTES"] = str(cap)
        hub = await asyncio.create_subprocess_exec(
            sys.executable,
            "-m",
            "network_hub.cli",
            "serve",
            env=env,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        try:
            url = f"http://127.0.0.1:{port}"
            await wait_up(url)
            idle_mb = peak_rss_mb(hub.pid)
            probes, outcomes = await attack(url, senders, megabytes)
            p50, worst = statistics.median(probes) * 1000, max(probes) * 1000
            print(
                f"{label:<24} /healthz during the attack: p50 {p50:6.1f} ms, "
                f"worst {worst:7.1f} ms ({len(probes)} probes) | hub peak RSS "
                f"{idle_mb:.0f} -> {peak_rss_mb(hub.pid):.0f} MB | answers {outcomes}",
                flush=True,
            )
        finally:
            hub.terminate()
            await hub.wait()


async def run(args: argparse.Namespace) -> None:
    await one_run("cap 1 MiB (shipped)", None, args.senders, args.megabytes)
    await one_run("cap 256 MiB ('no cap')", 256 * 1024 * 1024, args.senders, args.megabytes)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--senders", type=int, default=16)
    parser.add_argument("--megabytes", type=int, default=50)
    parser.add_argument("--send", metavar="URL", help=argparse.SUPPRESS)  # the attacker
    args = parser.parse_args()
    if args.send:
        asyncio.run(send_all(args.send, args.senders, args.megabytes))
    else:
        asyncio.run(run(args))


if __name__ == "__main__":
    main()
