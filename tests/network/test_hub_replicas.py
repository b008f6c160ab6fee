"""Scale-out for real: two hub processes against one PostgreSQL database behind a small
round-robin proxy on loopback; one is killed (SIGKILL) mid-load.

Shown: no failed query beyond those in flight on the killed replica, no duplicated
idempotent write (linked accounts, network requests retried with their keys), both
replicas served before the kill, and the start-up index sync ran once, not once per
replica (the scheduler's advisory lock and job_run row; both started at the same time,
which also shows their migrations queueing on the migration lock).
"""

from __future__ import annotations

import asyncio
import json
import os
import signal
import sys
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest
from sqlalchemy import func, select

from institution_node.store.models import Request, User
from network_common.db import make_engine
from network_common.keys import load_or_create
from network_hub.network_file import Member, render_network
from network_hub.store.models import JOB_RUN
from tests.conftest import _create_pg_database, _drop_pg_database
from tests.support.builders import api_key, holding, patron, record, two_library_institution
from tests.support.fulfilment_queries import HUB_REQUEST
from tests.support.network import CallCounter, RunningServer, _prepare_node, reserve_socket
from tests.support.proxy import RoundRobinProxy

pytestmark = [pytest.mark.network, pytest.mark.postgres]

PATRONS = [f"P{i}" for i in range(1, 9)]
ROUNDS = 6
REGISTER = "mutation($m: String!) { registerAtMember(member: $m) { networkLinkId } }"
MEMBERS = "{ members { code name } }"


def _home() -> dict[str, Any]:
    data = two_library_institution("UNIA")
    data["users"] += [patron(p) for p in PATRONS[2:]]
    return data


def _owner() -> dict[str, Any]:
    data = two_library_institution(
        "UNIB", uresolver_remote_register="MANUAL", pickup_anywhere=["UNIA"]
    )
    data["records"] += [record(f"rec-{p}", holdings=[holding("MAIN", f"B-{p}")]) for p in PATRONS]
    return data


@dataclass
class Call:
    what: str
    started: float
    ended: float
    status: int
    ok: bool
    answer: Any = None


async def _spawn(env: dict[str, str], port: int, log: Path) -> asyncio.subprocess.Process:
    exe = Path(sys.executable).with_name("network-hub")
    with log.open("wb") as errors:  # the child keeps its own copy of the descriptor
        return await asyncio.create_subprocess_exec(
            str(exe),
            "serve",
            "--port",
            str(port),
            env={**os.environ, **env},
            stdout=asyncio.subprocess.DEVNULL,
            stderr=errors,
        )


async def _healthy(http: httpx.AsyncClient, url: str, proc: asyncio.subprocess.Process) -> None:
    for _ in range(1200):
        if proc.returncode is not None:
            raise AssertionError(f"hub at {url} exited with {proc.returncode}")
        try:
            if (await http.get(f"{url}/healthz", timeout=2)).status_code == 200:
                return
        except httpx.HTTPError:
            pass
        await asyncio.sleep(0.1)
    raise AssertionError(f"hub at {url} did not start")


async def test_two_hub_replicas_behind_a_proxy_survive_one_being_killed(tmp_path: Path) -> None:
    hub_db = await _create_pg_database()
    servers: list[RunningServer] = []
    procs: list[asyncio.subprocess.Process] = []
    proxy: RoundRobinProxy | None = None
    http = httpx.AsyncClient(timeout=60)
    hub_socks = [reserve_socket(), reserve_socket()]
    try:
        hub_ports = [s.getsockname()[1] for s in hub_socks]
        # Held until the hubs are spawned: a port closed now could come back from the next
        # bind to port 0 (the proxy's, say, which would then forward to itself).
        hub_urls = [f"http://127.0.0.1:{p}" for p in hub_ports]
        proxy = RoundRobinProxy(hub_urls)
        await proxy.start()

        nodes: dict[str, str] = {}
        runtimes = {}
        for i, data in enumerate([_home(), _owner()]):
            runtime, app = await _prepare_node(
                data,
                data_dir=tmp_path / f"node{i}",
                hub_jwks_url=f"{proxy.url}/.well-known/jwks.json",
                jobs_enabled=False,
            )
            server = RunningServer(sock=reserve_socket(), app=CallCounter(app))
            await server.start()
            servers.append(server)
            code = data["institution"]["code"]
            nodes[code] = server.url
            runtimes[code] = runtime
        network_file = tmp_path / "network.toml"
        network_file.write_text(
            render_network(
                [Member(code=c, name=f"University {c}", url=u) for c, u in nodes.items()]
            )
        )
        # Replicas share their signing key (compose mounts one /data), made before they start.
        hub_dir = tmp_path / "hub-data"
        hub_dir.mkdir()
        load_or_create(hub_dir / "hub-signing-key.pem")
        env = {
            "HUB_DATABASE_URL": hub_db,
            "HUB_DATA_DIR": str(hub_dir),
            "HUB_NETWORK_FILE": str(network_file),
            "HUB_PUBLIC_URL": proxy.url,
            "HUB_MEMBER_TIMEOUT_SECONDS": "20",
            "HUB_MEMBER_INFO_TTL_SECONDS": "0",
            "HUB_INDEX_SYNC_SECONDS": "600",
            "HUB_SYNC_INDEX_ON_START": "true",
            "HUB_INTROSPECTION": "false",
        }
        for sock in hub_socks:
            sock.close()  # the hub processes bind these ports themselves
        # Both at once: the migrations queue on the migration lock, the start-up sync runs once.
        procs = [
            await _spawn(env, port, tmp_path / f"hub{i}.log") for i, port in enumerate(hub_ports)
        ]
        for url, proc in zip(hub_urls, procs, strict=True):
            await _healthy(http, url, proc)
        # The members fetched the hub's JWKS through the proxy during the start-up sync,
        # maybe from a replica not yet listening: the proxy then left it out for a while,
        # and the load could end before it served once. Both are up now.
        proxy.forget_failures()

        async def token(code: str, **body: str) -> str:
            return str(
                (await http.post(f"{nodes[code]}/auth/token", json=body)).json()["access_token"]
            )

        staff = await token("UNIA", api_key=api_key("unia-admin"))
        discovery = await token("UNIA", api_key=api_key("unia-discovery"))
        patron_tokens = {}
        for p in PATRONS:
            answer = await http.post(
                f"{nodes['UNIA']}/auth/patron-token",
                json={"primary_id": p},
                headers={"authorization": f"Bearer {discovery}"},
            )
            patron_tokens[p] = answer.json()["access_token"]

        calls: list[Call] = []
        third = asyncio.Event()  # about a third of the load is done: time to kill

        async def post(what: str, query: str, variables: dict[str, Any], bearer: str) -> Call:
            started = time.monotonic()
            answer = await http.post(
                f"{proxy.url}/graphql",
                json={"query": query, "variables": variables},
                headers={"authorization": f"Bearer {bearer}"},
            )
            body: Any = None
            ok = answer.status_code == 200
            if ok:
                body = answer.json()
                ok = not body.get("errors")
            call = Call(what, started, time.monotonic(), answer.status_code, ok, body)
            calls.append(call)
            # Kill once about a third of the load is done and both replicas have answered.
            if len(calls) >= len(PATRONS) * ROUNDS and all(
                any(p.upstream == u and p.status == 200 and p.ended for p in proxy.passages)
                for u in hub_urls
            ):
                third.set()
            return call

        async def until_ok(what: str, query: str, variables: dict[str, Any], bearer: str) -> Any:
            for _ in range(20):  # a client retries a failed call (same idempotency key)
                call = await post(what, query, variables, bearer)
                if call.ok:
                    return call.answer["data"]
            raise AssertionError(f"{what} kept failing: {call.status} {call.answer}")

        request_ids: dict[str, set[int]] = {p: set() for p in PATRONS}

        async def worker(p: str) -> None:
            variables = {"owner": "UNIB", "pi": "UNIA", "pl": "MAIN", "barcode": f"B-{p}"}
            for _ in range(ROUNDS):
                await until_ok("register", REGISTER, {"m": "UNIB"}, patron_tokens[p])
                step = await until_ok(
                    "request", HUB_REQUEST, {**variables, "key": f"req-{p}"}, patron_tokens[p]
                )
                request_ids[p].add(step["networkRequest"]["requestId"])
                await until_ok("members", MEMBERS, {}, staff)

        async def killer() -> tuple[float, float, int]:
            await third.wait()
            victim = procs[1]
            in_flight = len(proxy.in_flight(hub_urls[1]))
            sent = time.monotonic()
            victim.send_signal(signal.SIGKILL)
            await victim.wait()
            return sent, time.monotonic(), in_flight

        kill_task = asyncio.create_task(killer())
        await asyncio.gather(*(worker(p) for p in PATRONS))
        if not third.is_set():
            kill_task.cancel()
            raise AssertionError("the load ended before both replicas had answered")
        kill_sent, reaped, in_flight_at_kill = await kill_task

        # Both replicas served before the kill.
        served = {p.upstream for p in proxy.passages if p.status == 200 and p.ended < kill_sent}
        assert served == set(hub_urls)
        # Every failure was a request in flight on the killed replica while it died.
        failed = [c for c in calls if not c.ok]
        window = [
            p
            for p in proxy.passages
            if p.upstream == hub_urls[1] and p.status == 502 and p.started <= reaped
        ]
        assert all(c.status == 502 for c in failed), [(c.status, c.answer) for c in failed]
        assert len(failed) == len(window)
        assert len(failed) <= max(in_flight_at_kill, len(window))
        assert all(p.ended >= kill_sent for p in window)
        assert not [c for c in failed if c.started > reaped]  # none after the kill ended
        after = [p for p in proxy.passages if p.started > reaped and p.status == 200]
        assert after  # the survivor serves everything after the kill
        assert {p.upstream for p in after} == {hub_urls[0]}
        total = len(PATRONS) * ROUNDS * 3
        assert len([c for c in calls if c.ok]) == total

        # No duplicated idempotent write at the owner.
        async with runtimes["UNIB"].sessions() as session:
            linked = dict(
                (
                    await session.execute(
                        select(User.source_user_id, func.count())
                        .where(User.source_institution_code == "UNIA")
                        .group_by(User.source_user_id)
                    )
                ).all()
            )
            requests = await session.scalar(select(func.count()).select_from(Request))
        assert linked == dict.fromkeys(PATRONS, 1)
        assert requests == len(PATRONS)
        assert all(len(ids) == 1 for ids in request_ids.values()), request_ids

        # The start-up index sync ran once for the two replicas.
        engine = make_engine(hub_db)
        try:
            async with engine.connect() as conn:
                runs = await conn.scalar(
                    select(JOB_RUN.c.runs).where(JOB_RUN.c.name == "index-sync")
                )
        finally:
            await engine.dispose()
        assert runs == 1

        # Each request's access line, as the app writes it (uvicorn's own is off in `serve`).
        lines = (tmp_path / "hub0.log").read_text().splitlines()  # the survivor's
        survivor = [json.loads(line) for line in lines if line.startswith("{")]
        access = [e["msg"] for e in survivor if e["logger"] == "network_common.access"]
        assert any(m.endswith('"POST /graphql HTTP/1.1" 200') for m in access), access[:5]
        assert not [e for e in survivor if e["logger"] == "uvicorn.access"]
    finally:
        for sock in hub_socks:
            sock.close()  # a second close does nothing
        await http.aclose()
        for proc in procs:
            if proc.returncode is None:
                proc.terminate()
                await proc.wait()
        if proxy is not None:
            await proxy.stop()
        for server in servers:
            await server.stop()
        for runtime in locals().get("runtimes", {}).values():
            await runtime.close()
        await _drop_pg_database(hub_db)
