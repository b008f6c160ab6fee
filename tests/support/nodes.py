"""Running a node in-process for API tests (httpx over ASGI, no sockets)."""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx

from institution_node.app import create_app
from institution_node.loader.load import load
from institution_node.runtime import NodeRuntime
from institution_node.settings import NodeSettings
from institution_node.store.migrate import upgrade


class GraphQLErrors(AssertionError):
    def __init__(self, errors: list[dict[str, Any]]) -> None:
        super().__init__(json.dumps(errors, indent=1))
        self.errors = errors

    @property
    def codes(self) -> list[str]:
        return [e.get("extensions", {}).get("code", "") for e in self.errors]


@dataclass
class NodeHarness:
    runtime: NodeRuntime
    client: httpx.AsyncClient

    async def token(self, api_key: str) -> str:
        response = await self.client.post("/auth/token", json={"api_key": api_key})
        assert response.status_code == 200, response.text
        return str(response.json()["access_token"])

    async def gql_raw(
        self,
        query: str,
        variables: dict[str, Any] | None = None,
        *,
        token: str | None = None,
        path: str = "/graphql",
    ) -> dict[str, Any]:
        headers = {"authorization": f"Bearer {token}"} if token else {}
        response = await self.client.post(
            path, json={"query": query, "variables": variables or {}}, headers=headers
        )
        assert response.status_code == 200, response.text
        body: dict[str, Any] = response.json()
        return body

    async def gql(
        self,
        query: str,
        variables: dict[str, Any] | None = None,
        *,
        token: str | None = None,
        path: str = "/graphql",
    ) -> dict[str, Any]:
        """Run a query; raise GraphQLErrors if the answer has errors."""
        body = await self.gql_raw(query, variables, token=token, path=path)
        if body.get("errors"):
            raise GraphQLErrors(body["errors"])
        data: dict[str, Any] = body["data"]
        return data

    async def close(self) -> None:
        await self.client.aclose()
        await self.runtime.close()


async def start_node(
    data: dict[str, Any], *, data_dir: Path, db_url: str | None = None, **settings: Any
) -> NodeHarness:
    node_settings = NodeSettings(data_dir=data_dir, database_url=db_url, **settings)
    runtime = NodeRuntime.create(node_settings)
    await upgrade(runtime.engine)
    async with runtime.sessions() as session:
        await load(session, json.dumps(data))
    app = create_app(node_settings, runtime=runtime)
    client = httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://node.test")
    return NodeHarness(runtime=runtime, client=client)
