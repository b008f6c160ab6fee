"""The compose deployment without docker: compose's own settings, on PostgreSQL, on loopback.

Every NODE_*/HUB_* value comes from compose/docker-compose.yml; only what docker would
provide is replaced (service host names -> loopback ports, the postgres service -> a test
database per service, volumes -> temporary directories). The nodes are seeded as their
containers do, the hub starts after them and finds the linked accounts by its start-up
index sync, as in compose, and the demo's Network Activity query then works.
"""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx
import pytest

from institution_node.app import create_app as create_node_app
from institution_node.settings import NodeSettings
from network_demo.data import build_network
from network_demo.data.banner import NETWORK_ACTIVITY_QUERY
from network_demo.data.seed import seed_member
from network_hub.app import create_app as create_hub_app
from network_hub.network_file import load_network, render_network
from network_hub.settings import HubSettings
from tests.conftest import _create_pg_database, _drop_pg_database
from tests.support.compose import COMPOSE_DIR, seeded_nodes, services, settings_kwargs
from tests.support.network import RunningServer, reserve_socket

pytestmark = [pytest.mark.network, pytest.mark.postgres]


def _on_loopback(value: str, ports: dict[str, int]) -> str:
    for name, port in ports.items():
        value = value.replace(f"http://{name}:8001", f"http://127.0.0.1:{port}")
        value = value.replace(f"http://{name}:8000", f"http://127.0.0.1:{port}")
    return value


async def test_compose_settings_run_the_network_on_postgresql(tmp_path: Path) -> None:
    compose = services()
    nodes = seeded_nodes(compose)
    databases: dict[str, str] = {}
    servers: list[RunningServer] = []
    try:
        for name in ("hub", *nodes):
            databases[name] = await _create_pg_database()
        sockets = {name: reserve_socket() for name in databases}
        ports = {name: sock.getsockname()[1] for name, sock in sockets.items()}

        def settings(name: str, prefix: str) -> dict[str, Any]:
            # One hub replica stands for the two (tests/network/test_hub_replicas.py has both).
            service = "hub-1" if name == "hub" else name
            values = settings_kwargs(compose[service].environment, prefix)
            # Mail goes to the demo's catcher in compose; here letters are only recorded.
            values.pop("smtp_host", None)
            values = {k: _on_loopback(v, ports) for k, v in values.items()}
            return {
                **values,
                "database_url": databases[name],
                "data_dir": tmp_path / name,
                "host": "127.0.0.1",
                "port": ports[name],
            }

        network = build_network(today=datetime.now(UTC).date())
        for name, code in nodes.items():
            node_settings = NodeSettings(**settings(name, "NODE_"))
            assert node_settings.hub_jwks_url == (
                f"http://127.0.0.1:{ports['hub']}/.well-known/jwks.json"
            )
            loaded = await seed_member(databases[name], network.members[code])
            assert loaded.loaded
            servers.append(RunningServer(sockets[name], create_node_app(node_settings)))

        members = [
            m.__class__(code=m.code, name=m.name, url=_on_loopback(m.url, ports))
            for m in load_network(COMPOSE_DIR / "network.toml")
        ]
        network_file = tmp_path / "network.toml"
        network_file.write_text(render_network(members))
        hub_values = settings("hub", "HUB_")
        hub_values["network_file"] = network_file
        hub_settings = HubSettings(**hub_values)
        assert hub_settings.sync_index_on_start
        servers.append(RunningServer(sockets["hub"], create_hub_app(hub_settings)))
        for server in servers:  # nodes first, then the hub (compose's depends_on)
            await server.start()

        featured = network.featured
        async with httpx.AsyncClient(timeout=10) as http:
            home_url = f"http://127.0.0.1:{ports[featured.home.lower()]}"
            key = network.members[featured.home].keys.manager
            token = (await http.post(f"{home_url}/auth/token", json={"api_key": key})).json()
            activity: dict[str, Any] = {}
            for _ in range(100):  # until the hub's start-up index sync has run
                answer = (
                    await http.post(
                        f"http://127.0.0.1:{ports['hub']}/graphql",
                        json={
                            "query": NETWORK_ACTIVITY_QUERY,
                            "variables": {"patronId": featured.primary_id},
                        },
                        headers={"authorization": f"Bearer {token['access_token']}"},
                    )
                ).json()
                assert "errors" not in answer, answer
                activity = answer["data"]["networkActivity"]
                if activity["hasNetworkActivity"]:
                    break
                await asyncio.sleep(0.05)
        assert {i["code"] for i in activity["institutions"]} == set(featured.remotes)
        assert activity["unavailable"] == []
    finally:
        for server in reversed(servers):
            await server.stop()
        for url in databases.values():
            await _drop_pg_database(url)
