"""GraphiQL on the hub and the node loads nothing from outside the app (issue 14).

The page references only the app's own files, each of them is served, and the vendored files
are exactly those the manifest names (package, version, digest, licence).
"""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import AsyncIterator
from pathlib import Path

import httpx
import pytest
from starlette.types import ASGIApp

from institution_node.app import create_app as create_node_app
from institution_node.settings import NodeSettings
from network_common.graphiql import CONTENT_SECURITY_POLICY, STATIC_DIR
from network_hub.app import create_app as create_hub_app
from network_hub.runtime import HubRuntime
from network_hub.settings import HubSettings

ASSET = re.compile(r'(?:src|href)="([^"]+)"')


def _hub(tmp_path: Path) -> ASGIApp:
    settings = HubSettings(data_dir=tmp_path / "hub", sync_index_on_start=False)
    return create_hub_app(settings, runtime=HubRuntime.create(settings, members=[]))


def _node(tmp_path: Path) -> ASGIApp:
    return create_node_app(NodeSettings(data_dir=tmp_path / "node"))


@pytest.fixture(params=["hub", "node"])
async def client(
    request: pytest.FixtureRequest, tmp_path: Path
) -> AsyncIterator[httpx.AsyncClient]:
    app = _hub(tmp_path) if request.param == "hub" else _node(tmp_path)
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://app") as http:
        yield http


async def test_graphiql_uses_only_the_apps_own_files(client: httpx.AsyncClient) -> None:
    page = await client.get("/graphql", headers={"accept": "text/html"})
    assert page.status_code == 200
    assert page.headers["content-security-policy"] == CONTENT_SECURITY_POLICY
    assets = ASSET.findall(page.text)
    assert len(assets) >= 7  # React, ReactDOM, GraphiQL, explorer (+ styles), the init script
    for url in assets:
        assert url.startswith("/static/graphiql/"), url  # no CDN, no other host
        served = await client.get(url)
        assert served.status_code == 200, url
        assert len(served.content) > 0
    assert "<script>" not in page.text  # no inline script: CSP script-src 'self' holds


def test_vendored_files_match_their_manifest() -> None:
    manifest = json.loads((STATIC_DIR / "vendor" / "MANIFEST.json").read_text())
    names = set()
    for entry in manifest["packages"]:
        assert entry["version"]
        assert entry["license"] == "MIT"
        for item in entry["files"]:
            data = (STATIC_DIR / "vendor" / item["to"]).read_bytes()
            assert hashlib.sha256(data).hexdigest() == item["sha256"], item["to"]
            names.add(item["to"])
    # Every vendored file is accounted for, licences included.
    on_disk = {
        str(p.relative_to(STATIC_DIR / "vendor"))
        for p in (STATIC_DIR / "vendor").rglob("*")
        if p.is_file() and p.name != "MANIFEST.json"
    }
    assert on_disk == names
    assert {"licenses/react.LICENSE", "licenses/graphiql.LICENSE"} <= names
