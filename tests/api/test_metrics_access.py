"""/metrics is not public: a bearer token when configured, else direct local clients only."""

from __future__ import annotations

import httpx

from institution_node.app import create_app
from tests.conftest import NodeFactory
from tests.support.builders import two_library_institution


def _client(node_app: object, host: str) -> httpx.AsyncClient:
    transport = httpx.ASGITransport(app=node_app, client=(host, 40000))  # type: ignore[arg-type]
    return httpx.AsyncClient(transport=transport, base_url="http://node.test")


async def test_without_a_token_only_direct_local_clients_read_metrics(
    node_factory: NodeFactory,
) -> None:
    node = await node_factory(two_library_institution())
    app = create_app(node.runtime.settings, runtime=node.runtime)
    async with _client(app, "127.0.0.1") as local, _client(app, "203.0.113.9") as remote:
        assert (await local.get("/metrics")).status_code == 200
        assert (await remote.get("/metrics")).status_code == 404
        # Through a reverse proxy on the same host: refused like any remote client.
        proxied = await local.get("/metrics", headers={"x-forwarded-for": "203.0.113.9"})
        assert proxied.status_code == 404
        assert (await remote.get("/healthz")).status_code == 200


async def test_with_a_token_metrics_need_it_from_everywhere(node_factory: NodeFactory) -> None:
    node = await node_factory(two_library_institution(), metrics_token="s3cret-scrape-token")
    app = create_app(node.runtime.settings, runtime=node.runtime)
    async with _client(app, "127.0.0.1") as local, _client(app, "203.0.113.9") as remote:
        assert (await local.get("/metrics")).status_code == 401
        wrong = {"authorization": "Bearer nope"}
        assert (await remote.get("/metrics", headers=wrong)).status_code == 401
        right = {"authorization": "Bearer s3cret-scrape-token"}
        answer = await remote.get("/metrics", headers=right)
        assert answer.status_code == 200
        assert "http_requests_total" in answer.text
