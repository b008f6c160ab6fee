"""How soon the hub's answers follow the members (issue 10, items 1-2 and 12).

Three nodes and a hub on loopback (real HTTP, the hub's settings as shipped unless given):

- **member back**: a member holding the patron's loan is down (the hub names it; its breaker
  opens), then comes back on the same port: seconds until Network Activity shows its loan.
  The first round starts the hub while the member is down (never synced).
- **new link**: a linked account made at a member by the member itself (not through the
  hub), with a request: seconds until Network Activity shows the request.
- **deleted link**: the member's staff delete a linked account: seconds until the hub's
  index forgets it.

    .venv/bin/python -m bench.bench_index_freshness [--rounds 5]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import statistics
import tempfile
import time
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

from tests.network.test_network_activity import ACTIVITY, admin_token, holder, place_request
from tests.support.builders import api_key, patron, two_library_institution
from tests.support.network import LiveNetwork, start_network
from tests.support.network_data import member_with_linked_patrons

from institution_node.services.network.linked_accounts import HomeRecord, ensure_linked_account
from network_common.vocabulary import LinkOrigin
from network_hub.settings import HubSettings
from network_hub.store import index

DELETE = "mutation ($id: String!) { deleteLinkedAccount(primaryId: $id) }"
RESULTS = Path(__file__).parent / "results"


async def _until(check: Callable[[], Awaitable[bool]], *, within: float = 120.0) -> float:
    started = time.monotonic()
    while not await check():
        if time.monotonic() - started > within:
            raise TimeoutError("condition not reached")
        await asyncio.sleep(0.02)
    return time.monotonic() - started


def _stats(values: list[float]) -> str:
    return (
        f"median {statistics.median(values):.2f} s, min {min(values):.2f}, "
        f"max {max(values):.2f} (n={len(values)})"
    )


async def main(rounds: int) -> dict[str, Any]:
    shipped = HubSettings()
    settings = {
        "link_feed_seconds": shipped.link_feed_seconds,
        "breaker_probe_seconds": shipped.breaker_probe_seconds,
        "breaker_failures": shipped.breaker_failures,
        "breaker_cooldown_seconds": shipped.breaker_cooldown_seconds,
        "member_timeout_seconds": shipped.member_timeout_seconds,
    }
    home = two_library_institution("UNIA")
    home["users"] += [patron(f"L{n}") for n in range(1, rounds + 3)]
    unic = member_with_linked_patrons("UNIC", patrons=1, uresolver_remote_register="AUTO")
    figures: dict[str, list[float]] = {"member_back": [], "new_link": [], "deleted_link": []}
    with tempfile.TemporaryDirectory() as tmp:
        net: LiveNetwork = await start_network(
            Path(tmp),
            [home, holder("UNIB", 1), unic],
            hub_settings=settings,
            sync_index=False,
            down=["UNIC"],
        )
        try:
            token = await admin_token(net)

            async def activity(patron_id: str) -> dict[str, Any]:
                data: dict[str, Any] = (
                    await net.hub_gql(ACTIVITY, {"patronId": patron_id}, token=token)
                )["networkActivity"]
                return data

            async def ready() -> bool:
                return (await net.http.get(f"{net.hub_url}/healthz")).status_code == 200

            await _until(ready)
            unic_client = net.hub_runtime.registry.get("UNIC")
            assert unic_client is not None
            for n in range(rounds):
                if n:  # down again; wait until the hub has noticed (its breaker is open)
                    await net.nodes["UNIC"].stop()

                    async def noticed() -> bool:
                        return unic_client.breaker.is_open

                    await _until(noticed)
                    assert any(
                        u["institutionCode"] == "UNIC"
                        for u in (await activity("L1"))["unavailable"]
                    )
                await net.nodes["UNIC"].start()

                async def shown() -> bool:
                    return (await activity("L1"))["loanCount"] == 2

                figures["member_back"].append(await _until(shown))

            unib_admin = await net.staff_token("UNIB", api_key("unib-admin"))
            node = net.nodes["UNIC"]
            for n in range(rounds):
                user = f"L{n + 2}"
                async with node.runtime.sessions() as session:
                    await ensure_linked_account(
                        session,
                        patron=HomeRecord("UNIA", user, "L", user, None, None, None),
                        origin=LinkOrigin.AUTO,
                        idempotency_key=f"bench-{user}",
                    )
                await place_request(node, f"UNIA:{user}", "rec-x")
                made = time.monotonic()

                async def request_shown(user: str = user) -> bool:
                    return (await activity(user))["requestCount"] == 1

                await _until(request_shown)
                figures["new_link"].append(time.monotonic() - made)

            # Deletion: links without activity at UNIB, deleted by UNIB's staff.
            unib = net.nodes["UNIB"]
            for n in range(rounds):
                user = f"L{n + 2}"
                async with unib.runtime.sessions() as session:
                    await ensure_linked_account(
                        session,
                        patron=HomeRecord("UNIA", user, "L", user, None, None, None),
                        origin=LinkOrigin.WALK_IN,
                        idempotency_key=f"bench-b-{user}",
                        desk_code="MAIN-DESK",
                    )

                async def holders(user: str = user) -> list[str]:
                    async with net.hub_runtime.sessions() as session:
                        links = await index.links_for(session, home="UNIA", user_id=user)
                    return [link.member_code for link in links]

                async def linked(user: str = user) -> bool:
                    return "UNIB" in await holders(user)

                await _until(linked)
                response = await net.http.post(
                    f"{unib.url}/graphql",
                    json={"query": DELETE, "variables": {"id": f"UNIA:{user}"}},
                    headers={"authorization": f"Bearer {unib_admin}"},
                )
                assert response.json() == {"data": {"deleteLinkedAccount": True}}, response.text
                deleted = time.monotonic()

                async def forgotten(user: str = user) -> bool:
                    return "UNIB" not in await holders(user)

                await _until(forgotten)
                figures["deleted_link"].append(time.monotonic() - deleted)
        finally:
            await net.close()
    print(f"settings: {json.dumps(settings)}")
    for name, values in figures.items():
        print(f"{name:>13}: {_stats(values)}")
    RESULTS.mkdir(exist_ok=True)
    out = {"settings": settings, "figures": figures}
    (RESULTS / "index_freshness.json").write_text(json.dumps(out, indent=2))
    return out


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--rounds", type=int, default=5)
    asyncio.run(main(parser.parse_args().rounds))
