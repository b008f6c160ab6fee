"""Lightweight fake members for fan-out benchmarks: one aiohttp process serving N members,
each on its own loopback port, answering the node network API's shapes with canned JSON
after a fixed delay. They do not verify the hub's service token (the real node does; that
cost is not what these benchmarks measure).

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


def member_app(code: str, args: argparse.Namespace, jwks: bytes) -> web.Application:
    activity = json.dumps(
        {
            "data": {
                "networkActivity": [
                    activity_answer(
                        code,
                        args.home,
                        args.patron,
                        loans=args.loans,
                        requests=args.requests,
                        fees=args.fees,
                    )
                ]
            }
        }
    ).encode()
    member = json.dumps(
        {
            "data": {
                "member": {
                    "code": code,
                    "name": f"Member {code}",
                    "uresolverRemoteRegister": "MANUAL",
                    "networkAvailabilityDisplay": "HOLDINGS",
                    "crossConsortiaIdentifiers": False,
                    "pickupAnywhere": [],
                    "returnAnywhere": True,
                }
            }
        }
    ).encode()
    accounts = (
        []
        if code == args.home
        else [
            {
                "localPrimaryId": f"{args.home}:{args.patron}",
                "homeInstitution": args.home,
                "homeUserId": args.patron,
                "networkLinkId": f"link-{code}",
            }
        ]
    )
    linked = json.dumps(
        {"data": {"linkedAccounts": {"accounts": accounts, "nextAfter": None}}}
    ).encode()
    delay = args.delay_ms / 1000

    async def network(request: web.Request) -> web.Response:
        body = await request.read()
        await asyncio.sleep(delay)
        if b"networkActivity" in body:
            payload = activity
        elif b"linkedAccounts" in body:
            payload = linked
        else:
            payload = member
        return web.Response(body=payload, content_type="application/json")

    async def keys(_request: web.Request) -> web.Response:
        return web.Response(body=jwks, content_type="application/json")

    app = web.Application()
    app.router.add_post("/network/graphql", network)
    app.router.add_get("/.well-known/jwks.json", keys)
    return app


async def serve(args: argparse.Namespace) -> None:
    jwks = args.jwks
    runners = []
    for code, port in zip(args.codes.split(","), args.ports.split(","), strict=True):
        runner = web.AppRunner(member_app(code, args, jwks), access_log=None)
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
