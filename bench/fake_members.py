"""Lightweight fake members for fan-out benchmarks: one aiohttp process serving N members,
each on its own loopback port, answering the node network API's shapes with canned JSON
after a fixed delay. They do not verify the hub's service token (the real node does; that
cost is not what these benchmarks measure).

Each answer is the canned data executed (graphql-core) against the node network API's SDL
(``schema/network.graphql``) for the document and variables sent, so aliases, field
selections and introspection work as at a real node (a gateway such as Hive sends its own
documents); the encoded answer is cached per request body, so a repeated call costs a dict
look-up, not an execution.

    python -m bench.fake_members --ports 9100,9101 --codes HOME,M001 --home HOME \
        --loans 5 --requests 2 --fees 1 --delay-ms 20
"""

from __future__ import annotations

import argparse
import asyncio
import json
from pathlib import Path
from typing import Any

from aiohttp import web
from graphql import GraphQLSchema, build_schema, graphql_sync

SDL = Path(__file__).resolve().parent.parent / "schema" / "network.graphql"
#: Distinct request bodies whose answer is kept (a benchmark sends a handful).
CACHE_SIZE = 1024


def activity_answer(
    code: str, home: str, user_id: str, *, loans: int, requests: int, fees: int
) -> dict[str, Any]:
    return {
        "homeInstitution": home,
        "homeUserId": user_id,
        "found": True,
        "loans": [
            {
                "title": f"A Study of Things, volume {i}",
                "author": "Author, An",
                "barcode": f"{code}-{i:05d}",
                "loanDate": "2026-01-05T10:00:00+00:00",
                "dueDate": "2026-02-02T10:00:00+00:00",
                "renewals": i % 3,
                "loanInstitution": code,
                "loanLocation": "Main Desk",
                "owningLibrary": "Main Library",
            }
            for i in range(loans)
        ],
        "requests": [
            {
                "title": f"Requested Work {i}",
                "author": None,
                "status": "PLACED",
                "pickupInstitution": home,
                "pickupLocation": "Main Desk",
                "placedDate": "2026-01-10T09:00:00+00:00",
                "managingLibrary": "Main Library",
                "owningLibrary": "Main Library",
            }
            for i in range(requests)
        ],
        "fees": [
            {
                "type": "OVERDUE",
                "original": "12.50",
                "balance": "7.25",
                "currency": "USD",
                "owner": "Main Library",
            }
            for _ in range(fees)
        ],
    }


def member_root(code: str, args: argparse.Namespace) -> dict[str, Any]:
    """The root value: each network API field this fake answers, from canned data."""
    answer = activity_answer(
        code, args.home, args.patron, loans=args.loans, requests=args.requests, fees=args.fees
    )
    member = {
        "code": code,
        "name": f"Member {code}",
        "uresolverRemoteRegister": "MANUAL",
        "networkAvailabilityDisplay": "HOLDINGS",
        "crossConsortiaIdentifiers": False,
        "pickupAnywhere": [],
        "returnAnywhere": True,
    }
    accounts = (
        []
        if code == args.home
        else [
            {
                "localPrimaryId": f"{args.home}:{args.patron}",
                "homeInstitution": args.home,
                "homeUserId": args.patron,
                "networkLinkId": f"link-{code}",
                "firstName": "Pat",
                "lastName": "Ron",
            }
        ]
    )

    def network_activity(_info: Any, patrons: list[dict[str, str]]) -> list[dict[str, Any]]:
        found = {(args.home, args.patron)}
        return [
            answer
            if (p["homeInstitution"], p["homeUserId"]) in found
            else {**p, "found": False, "loans": [], "requests": [], "fees": []}
            for p in patrons
        ]

    def linked_accounts(_info: Any, first: int = 500, after: int | None = None) -> Any:
        return {"accounts": accounts if after is None else [], "nextAfter": None, "changeCursor": 0}

    def link_changes(_info: Any, after: int, first: int = 500) -> Any:
        return {"changes": [], "cursor": after, "more": False, "resync": False}

    return {
        "member": member,
        "networkActivity": network_activity,
        "linkedAccounts": linked_accounts,
        "linkChanges": link_changes,
    }


def execute(schema: GraphQLSchema, root: dict[str, Any], body: bytes) -> bytes:
    try:
        request = json.loads(body)
        document, variables = request["query"], request.get("variables") or {}
    except (ValueError, KeyError, TypeError):
        return b'{"data": null, "errors": [{"message": "bad request"}]}'
    result = graphql_sync(schema, document, root_value=root, variable_values=variables)
    payload: dict[str, Any] = {"data": result.data}
    if result.errors:
        payload["errors"] = [e.formatted for e in result.errors]
    return json.dumps(payload).encode()


def member_app(
    code: str, args: argparse.Namespace, jwks: bytes, schema: GraphQLSchema
) -> web.Application:
    root = member_root(code, args)
    cache: dict[bytes, bytes] = {}
    delay = args.delay_ms / 1000

    async def network(request: web.Request) -> web.Response:
        body = await request.read()
        await asyncio.sleep(delay)
        payload = cache.get(body)
        if payload is None:
            payload = execute(schema, root, body)
            if len(cache) < CACHE_SIZE:
                cache[body] = payload
        return web.Response(body=payload, content_type="application/json")

    async def keys(_request: web.Request) -> web.Response:
        return web.Response(body=jwks, content_type="application/json")

    health = json.dumps({"status": "ok", "institution": code}).encode()
    ended = b'{"revokedKeyIds": [], "staff": []}'

    async def healthz(_request: web.Request) -> web.Response:
        return web.Response(body=health, content_type="application/json")

    async def ended_sessions(_request: web.Request) -> web.Response:
        return web.Response(body=ended, content_type="application/json")

    app = web.Application()
    app.router.add_get("/healthz", healthz)
    app.router.add_get("/network/ended-sessions", ended_sessions)
    app.router.add_post("/network/graphql", network)
    app.router.add_get("/.well-known/jwks.json", keys)
    return app


async def serve(args: argparse.Namespace) -> None:
    jwks = args.jwks
    schema = build_schema(SDL.read_text())
    runners = []
    for code, port in zip(args.codes.split(","), args.ports.split(","), strict=True):
        runner = web.AppRunner(member_app(code, args, jwks, schema), access_log=None)
        await runner.setup()
        await web.TCPSite(runner, "127.0.0.1", int(port)).start()
        runners.append(runner)
    print("ready", flush=True)
    try:
        await asyncio.Event().wait()
    finally:
        for runner in runners:
            await runner.cleanup()


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--codes", required=True)
    parser.add_argument("--ports", required=True)
    parser.add_argument("--home", required=True)
    parser.add_argument("--patron", default="P1")
    parser.add_argument("--loans", type=int, default=5)
    parser.add_argument("--requests", type=int, default=2)
    parser.add_argument("--fees", type=int, default=1)
    parser.add_argument("--delay-ms", type=float, default=20.0)
    parser.add_argument("--jwks-file")
    args = parser.parse_args()
    args.jwks = Path(args.jwks_file).read_bytes() if args.jwks_file else b'{"keys": []}'
    asyncio.run(serve(args))


if __name__ == "__main__":
    main()
