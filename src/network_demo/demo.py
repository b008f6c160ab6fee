"""``network-demo``: a three-member network on loopback, in one process.

Each member gets a data directory with its SQLite database and signing key (loaded with
generated sample data the first time), then three nodes and the hub are served by one
uvicorn server each, all in one asyncio loop. Ctrl-C (or SIGTERM) stops all of them.
Re-running reuses the data directory; ``--reset`` starts from scratch.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import errno
import logging
import os
import shutil
import signal
import socket
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import uvicorn
from starlette.types import ASGIApp

from institution_node.app import create_app as create_node_app
from institution_node.settings import NodeSettings
from network_demo.data import DEFAULT_SEED, build_network
from network_demo.data.banner import DemoEndpoints, banner
from network_demo.data.catalogue import HELD_BY_ALL, work_pool
from network_demo.data.network import DemoNetwork
from network_demo.data.seed import seed_member
from network_demo.discovery import (
    DiscoveryMember,
    SamplePatron,
    create_discovery_app,
)
from network_demo.mailbox import DemoMailbox
from network_hub.app import create_app as create_hub_app
from network_hub.network_file import Member, render_network
from network_hub.resource_sharing.partners_sync import sync_partners
from network_hub.runtime import HubRuntime
from network_hub.services.index_sync import sync_index
from network_hub.settings import HubSettings

HOST = "127.0.0.1"


class _SharedLoopServer(uvicorn.Server):
    """Four servers share one loop, so none may take over the signals: the demo does."""

    @contextlib.contextmanager
    def capture_signals(self) -> Iterator[None]:
        yield


@dataclass
class _Served:
    name: str
    server: uvicorn.Server
    task: asyncio.Task[None]


def _bind(port: int) -> socket.socket:
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    try:
        sock.bind((HOST, port))
    except OSError as exc:
        sock.close()
        if exc.errno == errno.EADDRINUSE:
            raise SystemExit(f"port {port} is in use; choose another --base-port") from exc
        raise
    return sock


def _port(sock: socket.socket) -> int:
    port: int = sock.getsockname()[1]
    return port


async def _serve(name: str, app: ASGIApp, sock: socket.socket) -> _Served:
    config = uvicorn.Config(app, lifespan="on", log_level="warning", access_log=False)
    server = _SharedLoopServer(config)
    task = asyncio.create_task(server.serve(sockets=[sock]))
    while not server.started:
        if task.done():
            task.result()  # start-up failed: raise its error here
            raise SystemExit(f"{name} stopped during start-up")
        await asyncio.sleep(0.01)
    return _Served(name, server, task)


def prepare_data_dir(data_dir: Path, *, reset: bool) -> None:
    if reset and data_dir.exists():
        shutil.rmtree(data_dir)
    data_dir.mkdir(parents=True, exist_ok=True)


async def run(data_dir: Path, base_port: int, *, seed: int) -> int:
    """Load what is missing, serve the network until a signal, then stop cleanly."""
    network = build_network(today=datetime.now(UTC).date(), seed=seed)
    codes = list(network.members)
    # Bind every port before anything starts: base = hub, base+1.. = members (0 = any free).
    sockets = [_bind(base_port + i if base_port else 0) for i in range(len(codes) + 1)]
    # The demo's mail server, after the members (base+4): every letter lands in mail/.
    mail_sock = _bind(base_port + len(codes) + 1 if base_port else 0)
    mailbox = DemoMailbox(data_dir / "mail", mail_sock)
    # The demo discovery page (Get It widget, patron account) after it (base+5).
    discovery_sock = _bind(base_port + len(codes) + 2 if base_port else 0)
    hub_url = f"http://{HOST}:{_port(sockets[0])}"
    node_urls = {
        code: f"http://{HOST}:{_port(s)}" for code, s in zip(codes, sockets[1:], strict=True)
    }

    apps: list[tuple[str, ASGIApp]] = []
    for code in codes:
        node_dir = data_dir / code.lower()
        node_settings = NodeSettings(
            data_dir=node_dir,
            database_url=f"sqlite+aiosqlite:///{(node_dir / 'node.db').resolve()}",
            public_url=node_urls[code],
            host=HOST,
            port=_port(sockets[1 + codes.index(code)]),
            hub_jwks_url=f"{hub_url}/.well-known/jwks.json",
            smtp_host=HOST,
            smtp_port=mailbox.port,
            mail_from=f"letters@{code.lower()}.demo.example",
            # Letters leave within seconds in the demo.
            outbox_delivery_seconds=float(os.environ.get("NODE_OUTBOX_DELIVERY_SECONDS", "2")),
        )
        node_dir.mkdir(parents=True, exist_ok=True)
        result = await seed_member(node_settings.resolved_database_url(), network.members[code])
        if result.loaded:
            print(f"  {code}: loaded sample data into {node_dir}", flush=True)
        apps.append((code, create_node_app(node_settings)))

    network_file = data_dir / "network.toml"
    members = [
        Member(code=c, name=network.members[c].profile.name, url=node_urls[c]) for c in codes
    ]
    network_file.write_text(render_network(members))
    hub_dir = data_dir / "hub"
    hub_settings = HubSettings(
        data_dir=hub_dir,
        database_url=f"sqlite+aiosqlite:///{(hub_dir / 'hub.db').resolve()}",
        network_file=network_file,
        public_url=hub_url,
        host=HOST,
        port=_port(sockets[0]),
        # The demo syncs the index itself once every node answers (below).
        sync_index_on_start=False,
        # Anonymous Get It answers are cached briefly in the demo unless the environment says.
        getit_cache_ttl=float(os.environ.get("HUB_GETIT_CACHE_TTL", "5")),
    )
    hub_runtime = HubRuntime.create(hub_settings)
    hub_app = create_hub_app(hub_settings, runtime=hub_runtime)
    discovery_url = f"http://{HOST}:{_port(discovery_sock)}"
    hub_app.state.demo_discovery_url = discovery_url
    apps.insert(0, ("hub", hub_app))
    apps.append(("discovery", _discovery(network, hub_url, node_urls)))

    served: list[_Served] = []
    try:
        await mailbox.start()
        # The members first, the hub last: its start-up jobs then find every member up.
        pairs = list(zip(apps, [*sockets, discovery_sock], strict=True))
        for (name, app), sock in sorted(pairs, key=lambda pair: pair[0][0] == "hub"):
            served.append(await _serve(name, app, sock))
        counts = await sync_index(runtime=hub_runtime)
        # Members become each other's resource sharing partners (the hub's partner-sync
        # job does it periodically; the demo wants it before the first borrowing request).
        await sync_partners(runtime=hub_runtime)
        endpoints = DemoEndpoints(
            hub=hub_url,
            nodes=node_urls,
            data_dir=data_dir,
            mail=f"{HOST}:{mailbox.port}",
            mail_dir=mailbox.folder,
        )
        print(banner(network, endpoints, index_counts=counts), flush=True)
        print(
            f"Pages: staff console {hub_url}/staff/ · Get It widget and patron account in the "
            f"demo discovery page {discovery_url}/",
            flush=True,
        )
        ended = await _until_stopped(served)
    finally:
        for s in served:
            s.server.should_exit = True
        await asyncio.gather(*(s.task for s in served), return_exceptions=True)
        await mailbox.stop()
        for sock in (*sockets, mail_sock, discovery_sock):
            sock.close()
    if ended is not None:
        print(f"{ended} stopped unexpectedly; the demo network is down", file=sys.stderr)
        return 1
    print("demo network stopped", flush=True)
    return 0


#: Sample patrons of the demo discovery page: one per member, each home showing Get It its way.
SAMPLE_PATRONS = (("NORTHU", "NU-1040"), ("SOUTHC", "SC-1002"), ("EASTC", "EC-1003"))


def _discovery(network: DemoNetwork, hub_url: str, node_urls: dict[str, str]) -> ASGIApp:
    members = [
        DiscoveryMember(code, data.profile.name, node_urls[code], data.keys.discovery)
        for code, data in network.members.items()
    ]
    patrons = []
    for home, primary_id in SAMPLE_PATRONS:
        users = network.members[home].load_file["users"]
        user = next(u for u in users if u["primary_id"] == primary_id)
        patrons.append(SamplePatron(home, primary_id, f"{user['first_name']} {user['last_name']}"))
    shared = work_pool(network.seed)[HELD_BY_ALL // 2 - 1 : HELD_BY_ALL // 2 + 2]
    records = [(w.network_record_id, w.title) for w in shared]
    return create_discovery_app(hub_url=hub_url, members=members, patrons=patrons, records=records)


async def _until_stopped(served: list[_Served]) -> str | None:
    """Wait for Ctrl-C / SIGTERM (None), or for a server to end by itself (its name)."""
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, stop.set)
    stopper = asyncio.create_task(stop.wait())
    try:
        await asyncio.wait(
            [stopper, *(s.task for s in served)], return_when=asyncio.FIRST_COMPLETED
        )
        return None if stop.is_set() else next(s.name for s in served if s.task.done())
    finally:
        stopper.cancel()
        for sig in (signal.SIGINT, signal.SIGTERM):
            loop.remove_signal_handler(sig)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="network-demo", description=__doc__)
    parser.add_argument(
        "--data-dir", type=Path, default=Path("demo-data"), help="default: ./demo-data"
    )
    parser.add_argument(
        "--base-port",
        type=int,
        default=8700,
        help="hub on this port, members on the next three, then mail, then the demo discovery page "
        "(0: any free ports); default 8700",
    )
    parser.add_argument("--reset", action="store_true", help="wipe the data directory first")
    parser.add_argument("--seed", type=int, default=DEFAULT_SEED, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if not 0 <= args.base_port <= 65531:
        parser.error("--base-port must be between 0 and 65531")
    prepare_data_dir(args.data_dir, reset=args.reset)
    # Strawberry logs every answered error with its traceback, refusals included; unexpected
    # errors are still logged (masked as INTERNAL) by network_common.graphql_errors.
    logging.getLogger("strawberry.execution").setLevel(logging.CRITICAL)
    try:
        return asyncio.run(run(args.data_dir, args.base_port, seed=args.seed))
    except KeyboardInterrupt:  # a signal during start-up, before our handlers were set
        return 130
    except SystemExit as exc:
        if isinstance(exc.code, str):
            print(exc.code, file=sys.stderr)
            return 2
        raise


__all__ = ["main", "run"]

if __name__ == "__main__":
    raise SystemExit(main())
