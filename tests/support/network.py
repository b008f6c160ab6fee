"""Real networks on loopback for network tests: N nodes and a hub, each a uvicorn server on
its own port in the test's event loop, talking real HTTP.

    net = await start_network(tmp_path, [data_a, data_b, data_c])
    token = await net.staff_token("UNIA", api_key("unia-admin"))
    data = await net.hub_gql(QUERY, {...}, token=token)
    await net.nodes["UNIB"].stop()          # the member goes away
    net.nodes["UNIC"].set_delay_ms(3000)    # the member gets slow
    net.nodes["UNIB"].network_calls         # POSTs its /network/graphql received
    await net.nodes["UNIB"].start()         # ... and comes back on the same port

``start_network(..., down=["UNIC"])`` starts the hub while UNIC is not serving yet (its port
is reserved but refuses connections until ``start()``).
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import socket
from collections.abc import Collection, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
import uvicorn
from starlette.types import ASGIApp, Receive, Scope, Send

from institution_node.app import create_app as create_node_app
from institution_node.loader.load import load
from institution_node.runtime import NodeRuntime
from institution_node.settings import NodeSettings
from institution_node.store.migrate import upgrade
from network_hub.app import create_app as create_hub_app
from network_hub.network_file import Member
from network_hub.runtime import HubRuntime
from network_hub.settings import HubSettings
from tests.support.builders import api_key
from tests.support.nodes import GraphQLErrors

#: The staff mutation a member's administrator deletes a linked account with.
DELETE_LINKED_ACCOUNT = "mutation ($id: String!) { deleteLinkedAccount(primaryId: $id) }"


def reserve_socket(port: int = 0) -> socket.socket:
    """A listening-ready socket on a free loopback port (bound now, so the port is ours);
    ``port``: that one again (a node coming back)."""
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind(("127.0.0.1", port))
    return sock


class _QuietServer(uvicorn.Server):
    """Several servers share the test's loop: none of them may take over the signals."""

    @contextlib.contextmanager
    def capture_signals(self) -> Iterator[None]:
        yield


@dataclass
class RunningServer:
    sock: socket.socket
    app: ASGIApp
    server: uvicorn.Server | None = None
    task: asyncio.Task[None] | None = None

    @property
    def port(self) -> int:
        port: int = self.sock.getsockname()[1]
        return port

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    async def start(self) -> None:
        config = uvicorn.Config(
            self.app, lifespan="on", log_level="warning", access_log=False, timeout_keep_alive=30
        )
        self.server = _QuietServer(config)
        self.task = asyncio.create_task(self.server.serve(sockets=[self.sock]))
        while not self.server.started:
            if self.task.done():
                self.task.result()  # start-up failed: raise its error here
            await asyncio.sleep(0.01)

    async def stop(self) -> None:
        if self.server is None or self.task is None:
            return
        self.server.should_exit = True
        await self.task
        self.server = None
        self.task = None


class CallCounter:
    """ASGI wrapper counting POSTs to the node's network API (what the hub really sent)."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app
        self.network_calls = 0

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http" and scope["path"] == "/network/graphql":
            self.network_calls += 1
        await self.app(scope, receive, send)


@dataclass
class NetworkNode:
    code: str
    name: str
    runtime: NodeRuntime
    server: RunningServer
    counter: CallCounter
    http: httpx.AsyncClient
    stopped: bool = False
    port: int = 0
    #: Whether ``runtime`` was ever served (its server's shutdown then closes it).
    served: bool = False

    def __post_init__(self) -> None:
        self.port = self.server.port

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def network_calls(self) -> int:
        return self.counter.network_calls

    def reset_calls(self) -> None:
        self.counter.network_calls = 0

    def set_delay_ms(self, ms: int) -> None:
        """Every network API answer from now on waits ``ms`` first."""
        self.runtime.settings.network_delay_ms = ms

    async def token(self, api_key: str) -> str:
        response = await self.http.post(f"{self.url}/auth/token", json={"api_key": api_key})
        assert response.status_code == 200, response.text
        return str(response.json()["access_token"])

    async def stop(self) -> None:
        """Stop serving (connections refused from now on)."""
        if not self.stopped:
            self.stopped = True
            await self.server.stop()
        self.server.sock.close()

    async def start(self) -> None:
        """Serve again on the same port (after ``stop``, or when started ``down``): a new
        runtime over the same database, as after a restart."""
        if not self.stopped:
            return
        if self.server.task is not None or self.server.sock.fileno() == -1:
            settings = self.runtime.settings
            self.runtime = NodeRuntime.create(settings)
            self.counter.app = create_node_app(settings, runtime=self.runtime)
            self.server = RunningServer(sock=reserve_socket(self.port), app=self.counter)
        await self.server.start()
        self.served = True
        self.stopped = False

    async def close(self) -> None:
        """Stop serving; a runtime never served (a member left ``down``) is closed here,
        else its database connections would be left to the garbage collector."""
        await self.stop()
        if not self.served:
            await self.runtime.close()


@dataclass
class LiveNetwork:
    hub_runtime: HubRuntime
    hub_server: RunningServer
    nodes: dict[str, NetworkNode]
    http: httpx.AsyncClient
    extra_servers: list[RunningServer] = field(default_factory=list)

    @property
    def hub_url(self) -> str:
        return self.hub_server.url

    async def staff_token(self, code: str, api_key: str) -> str:
        return await self.nodes[code].token(api_key)

    async def delete_linked_account(self, code: str, primary_id: str) -> None:
        """Member ``code``'s administrator deletes its linked account ``primary_id``."""
        admin = await self.staff_token(code, api_key(f"{code.lower()}-admin"))
        response = await self.http.post(
            f"{self.nodes[code].url}/graphql",
            json={"query": DELETE_LINKED_ACCOUNT, "variables": {"id": primary_id}},
            headers={"authorization": f"Bearer {admin}"},
        )
        assert response.json() == {"data": {"deleteLinkedAccount": True}}, response.text

    async def hub_post(
        self, query: str, variables: dict[str, Any] | None = None, *, token: str | None = None
    ) -> httpx.Response:
        headers = {"authorization": f"Bearer {token}"} if token else {}
        return await self.http.post(
            f"{self.hub_url}/graphql",
            json={"query": query, "variables": variables or {}},
            headers=headers,
        )

    async def hub_gql_raw(
        self, query: str, variables: dict[str, Any] | None = None, *, token: str | None = None
    ) -> dict[str, Any]:
        response = await self.hub_post(query, variables, token=token)
        assert response.status_code == 200, response.text
        body: dict[str, Any] = response.json()
        return body

    async def hub_gql(
        self, query: str, variables: dict[str, Any] | None = None, *, token: str | None = None
    ) -> dict[str, Any]:
        """Run a query at the hub; raise GraphQLErrors if the answer has errors."""
        body = await self.hub_gql_raw(query, variables, token=token)
        if body.get("errors"):
            raise GraphQLErrors(body["errors"])
        data: dict[str, Any] = body["data"]
        return data

    async def sync_index(self) -> dict[str, int | None]:
        from network_hub.services.index_sync import sync_index

        return await sync_index(runtime=self.hub_runtime)

    def reset_calls(self) -> None:
        for node in self.nodes.values():
            node.reset_calls()

    async def close(self) -> None:
        hub_served = self.hub_server.task is not None
        await self.hub_server.stop()
        if not hub_served:  # start-up failed before the hub served: nothing else closes it
            await self.hub_runtime.close()
        for server in self.extra_servers:
            await server.stop()
        for node in self.nodes.values():
            await node.close()
        self.hub_server.sock.close()
        await self.http.aclose()


async def _first_sync(net: LiveNetwork, *, down: Collection[str]) -> None:
    """The start-up sync of every serving member; one that did not answer in time (a loaded
    machine) is asked again, so a test never starts with a member missing by accident."""
    from network_hub.services.index_sync import sync_member

    counts = await net.sync_index()
    for _ in range(3):
        missing = [c for c, n in counts.items() if n is None and c not in down]
        if not missing:
            return
        clients = [net.hub_runtime.registry.get(c) for c in missing]
        for client in clients:
            if client is not None and client.breaker.is_open:
                await client.probe()  # a timeout opened it: the member is there
        counts = {
            c.member.code: await sync_member(runtime=net.hub_runtime, client=c)
            for c in clients
            if c is not None
        }


async def _prepare_node(
    data: dict[str, Any], *, data_dir: Path, hub_jwks_url: str, **settings: Any
) -> tuple[NodeRuntime, Any]:
    node_settings = NodeSettings(data_dir=data_dir, hub_jwks_url=hub_jwks_url, **settings)
    runtime = NodeRuntime.create(node_settings)
    await upgrade(runtime.engine)
    async with runtime.sessions() as session:
        await load(session, json.dumps(data))
    return runtime, create_node_app(node_settings, runtime=runtime)


async def start_network(
    tmp_path: Path,
    members: list[dict[str, Any]],
    *,
    hub_settings: dict[str, Any] | None = None,
    node_settings: dict[str, Any] | None = None,
    sync_index: bool = True,
    down: Collection[str] = (),
    database_urls: dict[str, str] | None = None,
) -> LiveNetwork:
    """Start one node per load-file dict in ``members`` and a hub that knows them all;
    the members in ``down`` are not serving yet (``await net.nodes[code].start()``);
    ``database_urls``: a member's own database (code -> URL; the others: SQLite)."""
    hub_sock = reserve_socket()
    hub_url = f"http://127.0.0.1:{hub_sock.getsockname()[1]}"
    nodes: dict[str, NetworkNode] = {}
    http = httpx.AsyncClient(timeout=30.0)
    network_members: list[Member] = []
    for i, data in enumerate(members):
        sock = reserve_socket()
        code = data["institution"]["code"]
        own_db = (database_urls or {}).get(code)
        runtime, app = await _prepare_node(
            data,
            data_dir=tmp_path / f"node{i}",
            hub_jwks_url=f"{hub_url}/.well-known/jwks.json",
            **(node_settings or {}),
            **({"database_url": own_db} if own_db else {}),
        )
        counter = CallCounter(app)
        name = data["institution"]["name"]
        server = RunningServer(sock=sock, app=counter)
        nodes[code] = NetworkNode(code, name, runtime, server, counter, http)
        network_members.append(Member(code=code, name=name, url=server.url))
    defaults: dict[str, Any] = {
        # Generous: on a loaded 2-core machine a healthy node may take seconds to answer.
        # Tests about slow members set their own timeout (and a delay well beyond it).
        "member_timeout_seconds": 15.0,
        "member_info_ttl_seconds": 0.0,
        "sync_index_on_start": False,
        "index_sync_seconds": 0.0,
        # No background feed polls unless a test asks (HUB_LINK_FEED_SECONDS): call counts
        # then hold only the calls of the test's own queries.
        "link_feed_seconds": 0.0,
    }
    settings = HubSettings(data_dir=tmp_path / "hub", **{**defaults, **(hub_settings or {})})
    hub_runtime = HubRuntime.create(settings, members=network_members)
    hub_server = RunningServer(sock=hub_sock, app=create_hub_app(settings, runtime=hub_runtime))
    net = LiveNetwork(hub_runtime, hub_server, nodes, http)
    try:
        for code, node in nodes.items():
            if code in down:
                node.stopped = True
            else:
                await node.server.start()
                node.served = True
        await hub_server.start()
        if sync_index:
            await _first_sync(net, down=down)
        net.reset_calls()
    except BaseException:
        await net.close()
        raise
    return net
