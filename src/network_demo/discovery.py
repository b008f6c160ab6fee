"""A demo discovery front end (``make demo``): a few records, a few sample patrons, and the hub's
Get It widget and network account embedded as a real discovery UI would embed them.

It runs on its own origin (the hub's port + 4), so the embedding is cross-origin as in life.
"Signing in" a sample patron asks the patron's home node for a patron token with that member's
discovery-client key, as a discovery UI does after its own login; the page keeps the token in
memory and hands it to the widget frames by postMessage.
"""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from html import escape
from pathlib import Path

import httpx
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import HTMLResponse, JSONResponse, Response
from starlette.routing import Mount, Route
from starlette.staticfiles import StaticFiles

STATIC = Path(__file__).parent / "static"


@dataclass(frozen=True, slots=True)
class DiscoveryMember:
    code: str
    name: str
    node_url: str
    discovery_key: str


@dataclass(frozen=True, slots=True)
class SamplePatron:
    home: str
    primary_id: str
    label: str


def create_discovery_app(
    *,
    hub_url: str,
    members: list[DiscoveryMember],
    patrons: list[SamplePatron],
    records: list[tuple[str, str]],
) -> Starlette:
    """The demo discovery page for ``records`` (id, title) and ``patrons``."""
    by_code = {m.code: m for m in members}
    allowed = {(p.home, p.primary_id) for p in patrons}
    http = httpx.AsyncClient(timeout=10.0, trust_env=False)

    async def page(request: Request) -> Response:
        viewers = [
            {"value": f"anon:{m.code}", "label": f"Not signed in, at {m.name}'s catalogue"}
            for m in members
        ] + [
            {
                "value": f"{p.home}:{p.primary_id}",
                "label": f"{p.label} ({p.primary_id}, {by_code[p.home].name})",
            }
            for p in patrons
        ]
        options = "".join(
            f'<option value="{escape(v["value"])}">{escape(v["label"])}</option>' for v in viewers
        )
        items = "".join(
            f'<li><h3>{escape(title)}</h3><p class="rid">Record {escape(rid)}</p>'
            f'<div class="getit" data-record="{escape(rid)}" '
            f'data-title="{escape(title)}"></div></li>'
            for rid, title in records
        )
        html = f"""<!doctype html>
<html lang="en"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>Demo discovery</title><link rel="icon" href="data:,">
<link rel="stylesheet" href="/static/discovery.css"></head>
<body><main id="main">
<h1>Demo discovery</h1>
<p>A discovery front end of the demo network. It embeds the hub's Get It widget and the patron's
network account. Choose who is looking:</p>
<p><label for="viewer">Viewer</label> <select id="viewer">{options}</select></p>
<p id="who" role="status"></p>
<section aria-labelledby="account-heading" id="account-area" hidden>
<h2 id="account-heading">My network account</h2><div id="account"></div></section>
<section aria-labelledby="results-heading"><h2 id="results-heading">Results</h2>
<ul class="results">{items}</ul></section>
</main>
<script src="{escape(hub_url)}/static/web/embed.js"></script>
<script src="/static/discovery.js"></script>
</body></html>"""
        csp = (
            f"default-src 'self'; script-src 'self' {hub_url}; frame-src {hub_url}; "
            "style-src 'self'; img-src data:; connect-src 'self'; base-uri 'none'"
        )
        return HTMLResponse(html, headers={"content-security-policy": csp})

    async def patron_token(request: Request) -> Response:
        try:
            body = json.loads(await request.body())
            home, primary_id = str(body["home"]), str(body["primaryId"])
        except (ValueError, KeyError, TypeError):
            return JSONResponse({"error": "give home and primaryId"}, 400)
        if (home, primary_id) not in allowed:
            return JSONResponse({"error": "not a sample patron of this demo"}, 404)
        member = by_code[home]
        client = await http.post(
            f"{member.node_url}/auth/token", json={"api_key": member.discovery_key}
        )
        client.raise_for_status()
        answer = await http.post(
            f"{member.node_url}/auth/patron-token",
            json={"primary_id": primary_id},
            headers={"authorization": f"Bearer {client.json()['access_token']}"},
        )
        answer.raise_for_status()
        return JSONResponse(
            {"token": answer.json()["access_token"]}, headers={"cache-control": "no-store"}
        )

    @asynccontextmanager
    async def lifespan(_app: Starlette) -> AsyncIterator[None]:
        yield
        await http.aclose()

    return Starlette(
        routes=[
            Route("/", page),
            Route("/patron-token", patron_token, methods=["POST"]),
            Mount("/static", app=StaticFiles(directory=STATIC)),
        ],
        lifespan=lifespan,
    )
