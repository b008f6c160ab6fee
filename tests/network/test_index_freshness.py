"""Never silently wrong, never frozen (issue 10, items 1-3 and 12), through real nodes and a
real hub: per-member index freshness named in Network Activity, ``/healthz`` not ready
before a first sync of every member, the members' change feeds polled, re-registration
after a deletion, and breaker recovery by probe.

Budgets come from the hub's settings (HUB_LINK_FEED_SECONDS, HUB_BREAKER_PROBE_SECONDS,
HUB_MEMBER_TIMEOUT_SECONDS); every wait is on a condition, never a bare sleep.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable
from typing import Any, TypeVar

import pytest
from sqlalchemy import select

from institution_node.services.network.linked_accounts import HomeRecord, ensure_linked_account
from institution_node.store.models import User
from network_common.vocabulary import LinkOrigin
from network_hub import jobs
from network_hub.settings import HubSettings
from network_hub.store import index
from tests.network.conftest import NetworkFactory
from tests.network.test_getit import REGISTER, patron_token, remote
from tests.network.test_getit import home as getit_home
from tests.network.test_network_activity import (
    ACTIVITY,
    admin_token,
    holder,
    home_unia,
    place_request,
)
from tests.support.network import LiveNetwork
from tests.support.network_data import linked_patron, member_with_linked_patrons

T = TypeVar("T")
#: The issue's promise for a link created or deleted at a member.
LINK_CHANGE_BUDGET = 5.0


async def eventually(
    probe: Callable[[], Awaitable[T]], done: Callable[[T], bool], *, within: float
) -> tuple[T, float]:
    """Ask ``probe`` until ``done`` holds; its last answer and the seconds it took."""
    started = time.monotonic()
    while True:
        value = await probe()
        elapsed = time.monotonic() - started
        if done(value):
            return value, elapsed
        assert elapsed < within, f"still not there after {elapsed:.1f} s: {value!r}"
        await asyncio.sleep(0.05)


def recovery_budget(net: LiveNetwork) -> float:
    """A member back: one probe, one feed poll, each at most a member timeout; doubled."""
    s = net.hub_runtime.settings
    return 2 * (s.breaker_probe_seconds + s.link_feed_seconds + 2 * s.member_timeout_seconds)


def unavailable(data: dict[str, Any]) -> list[tuple[str, str]]:
    return [(u["institutionCode"], u["code"]) for u in data["unavailable"]]


async def activity(net: LiveNetwork, token: str, patron_id: str = "L1") -> dict[str, Any]:
    data: dict[str, Any] = (await net.hub_gql(ACTIVITY, {"patronId": patron_id}, token=token))[
        "networkActivity"
    ]
    return data


async def test_healthz_is_not_ready_until_every_member_was_synced_once(
    network_factory: NetworkFactory,
) -> None:
    net = await network_factory([home_unia(), holder("UNIB", 1)], sync_index=False)
    health = await net.http.get(f"{net.hub_url}/healthz")
    assert health.status_code == 503
    assert health.json()["status"] == "starting"
    assert "UNIA, UNIB" in health.json()["reason"]
    # Before any sync the answer names the members it cannot vouch for.
    token = await admin_token(net)
    data = await activity(net, token)
    assert (data["hasNetworkActivity"], unavailable(data)) == (
        False,
        [("UNIB", "INDEX_NOT_READY")],
    )
    await net.nodes["UNIB"].stop()
    await net.sync_index()  # tried for every member (UNIB did not answer)
    health = await net.http.get(f"{net.hub_url}/healthz")
    assert (health.status_code, health.json()["status"]) == (200, "ok")
    data = await activity(net, token)
    assert unavailable(data) == [("UNIB", "INDEX_NOT_READY")]


async def test_a_member_down_at_start_is_named_then_shown_soon_after_it_comes_back(
    network_factory: NetworkFactory,
) -> None:
    net = await network_factory(
        [home_unia(), holder("UNIB", 1), holder("UNIC", 1)],
        hub_settings={
            "link_feed_seconds": 0.2,
            "breaker_probe_seconds": 0.2,
            "breaker_failures": 2,
            # Generous: UNIB must answer its first sync and query even on a busy machine
            # (UNIC is down, so its calls fail at once, not at the timeout).
            "member_timeout_seconds": 10.0,
        },
        sync_index=False,
        down=["UNIC"],
    )
    budget = recovery_budget(net)

    async def health() -> int:
        return (await net.http.get(f"{net.hub_url}/healthz")).status_code

    await eventually(health, lambda status: status == 200, within=budget)
    token = await admin_token(net)
    data = await activity(net, token)
    assert ([loan["institutionCode"] for loan in data["loans"]], unavailable(data)) == (
        ["UNIB"],
        [("UNIC", "INDEX_NOT_READY")],
    )
    # It stays named while it is down (the breaker opens meanwhile: the polls stop costing).
    await eventually(
        lambda: asyncio.sleep(0.05, result=net.hub_runtime.registry.get("UNIC")),
        lambda client: client is not None and client.breaker.is_open,
        within=budget,
    )
    assert unavailable(await activity(net, token)) == [("UNIC", "INDEX_NOT_READY")]

    await net.nodes["UNIC"].start()
    data, took = await eventually(
        lambda: activity(net, token), lambda d: d["loanCount"] == 2, within=budget
    )
    assert [loan["institutionCode"] for loan in data["loans"]] == ["UNIB", "UNIC"]
    assert data["unavailable"] == []
    print(f"member back -> shown in Network Activity: {took:.2f} s")


async def test_a_member_whose_sync_failed_is_stale_until_it_answers_again(
    network_factory: NetworkFactory,
) -> None:
    net = await network_factory(
        [home_unia(), holder("UNIB", 1), holder("UNIC", 1)],
        # The breaker never opens here: the feed polls of the stopped UNIC would otherwise
        # open it, and L1's query would be told CIRCUIT_OPEN instead of UNIC's own failure.
        hub_settings={
            "link_feed_seconds": 0.2,
            "breaker_probe_seconds": 0.2,
            "breaker_failures": 1_000_000,
        },
    )
    token = await admin_token(net)
    state = net.hub_runtime.index_state
    await net.nodes["UNIC"].stop()
    await eventually(
        lambda: asyncio.sleep(0, result=state.freshness("UNIC").value),
        lambda value: value == "STALE",
        within=recovery_budget(net),
    )
    # L2 holds nothing at UNIB: UNIC is not asked (no row), but the hub cannot vouch for it.
    data = await activity(net, token, "L2")
    assert unavailable(data) == [("UNIC", "INDEX_STALE")]
    # L1 has a row there: UNIC is asked and its own failure names it.
    assert unavailable(await activity(net, token)) == [("UNIC", "MEMBER_UNAVAILABLE")]
    await net.nodes["UNIC"].start()
    await eventually(
        lambda: activity(net, token, "L2"),
        lambda d: d["unavailable"] == [],
        within=recovery_budget(net),
    )


async def test_links_created_and_deleted_at_a_member_show_within_seconds(
    network_factory: NetworkFactory,
) -> None:
    unib = holder("UNIB", 1)
    unib["users"].append(linked_patron("UNIA", "L2"))  # a linked account without activity
    unic = member_with_linked_patrons("UNIC", patrons=1, uresolver_remote_register="AUTO")
    # The hub's default feed interval: the promise holds with the settings as shipped.
    default = HubSettings.model_fields["link_feed_seconds"].default
    net = await network_factory(
        [home_unia(), unib, unic], hub_settings={"link_feed_seconds": default}
    )
    assert default * 2 < LINK_CHANGE_BUDGET
    token = await admin_token(net)
    assert (await activity(net, token, "L2"))["hasNetworkActivity"] is False

    # A link is made at UNIC without this hub (e.g. another hub replica), with a request.
    node = net.nodes["UNIC"]
    async with node.runtime.sessions() as session:
        await ensure_linked_account(
            session,
            patron=HomeRecord("UNIA", "L2", "L", "Two", None, None, None),
            origin=LinkOrigin.AUTO,
            idempotency_key="made-at-unic",
        )
    await place_request(node, "UNIA:L2", "rec-x")
    data, created = await eventually(
        lambda: activity(net, token, "L2"),
        lambda d: d["requestCount"] == 1,
        within=LINK_CHANGE_BUDGET,
    )
    assert [i["code"] for i in data["institutions"]] == ["UNIC"]

    # UNIB's staff delete their linked account of L2: the hub's index forgets it.
    await net.delete_linked_account("UNIB", "UNIA:L2")

    async def holders() -> list[str]:
        async with net.hub_runtime.sessions() as session:
            links = await index.links_for(session, home="UNIA", user_id="L2")
        return [link.member_code for link in links]

    _, deleted = await eventually(
        holders, lambda codes: codes == ["UNIC"], within=LINK_CHANGE_BUDGET
    )
    print(f"link created -> shown: {created:.2f} s; link deleted -> forgotten: {deleted:.2f} s")


async def test_registering_again_after_the_member_deleted_the_account_makes_a_new_one(
    network_factory: NetworkFactory,
) -> None:
    net = await network_factory([getit_home(), remote("UNIC", "MANUAL")])
    token = await patron_token(net, "P1")
    first = (await net.hub_gql(REGISTER, {"member": "UNIC"}, token=token))["registerAtMember"]
    await net.delete_linked_account("UNIC", "UNIA:P1")

    again = (await net.hub_gql(REGISTER, {"member": "UNIC"}, token=token))["registerAtMember"]
    assert again["networkLinkId"] != first["networkLinkId"]
    async with net.nodes["UNIC"].runtime.sessions() as session:
        ids = (
            await session.scalars(select(User.network_link_id).where(User.source_user_id == "P1"))
        ).all()
    assert ids == [again["networkLinkId"]]
    # A retry of that registration is still one account.
    retry = (await net.hub_gql(REGISTER, {"member": "UNIC"}, token=token))["registerAtMember"]
    assert retry["networkLinkId"] == again["networkLinkId"]


async def test_an_open_breaker_closes_soon_after_the_member_comes_back(
    network_factory: NetworkFactory,
) -> None:
    net = await network_factory(
        [home_unia(), holder("UNIB", 1), holder("UNIC", 1)],
        hub_settings={
            "breaker_failures": 1,
            "breaker_cooldown_seconds": 300,
            "breaker_probe_seconds": 0.2,
        },
    )
    token = await admin_token(net)
    await net.nodes["UNIB"].stop()
    assert unavailable(await activity(net, token)) == [("UNIB", "MEMBER_UNAVAILABLE")]
    assert unavailable(await activity(net, token)) == [("UNIB", "CIRCUIT_OPEN")]
    await net.nodes["UNIB"].start()
    s = net.hub_runtime.settings
    data, took = await eventually(
        lambda: activity(net, token),
        lambda d: d["loanCount"] == 2,
        within=min(s.breaker_cooldown_seconds, recovery_budget(net)),
    )
    assert data["unavailable"] == []
    print(f"member back -> breaker closed and used: {took:.2f} s")


async def test_with_the_feeds_off_a_replica_that_skipped_the_start_up_sync_gets_ready(
    network_factory: NetworkFactory, monkeypatch: pytest.MonkeyPatch
) -> None:
    """HUB_LINK_FEED_SECONDS=0: the scheduled start-up sync runs in one replica only; here
    this hub's scheduled run finds nothing to do (as when another replica ran it), and the
    hub still makes its own first sync of every member."""

    async def ran_in_another_replica(*, runtime: object) -> dict[str, int | None]:
        return {}

    monkeypatch.setattr(jobs, "sync_index", ran_in_another_replica)
    net = await network_factory(
        [home_unia(), holder("UNIB", 1)],
        hub_settings={"sync_index_on_start": True, "link_feed_seconds": 0},
        sync_index=False,
    )

    async def health() -> int:
        return (await net.http.get(f"{net.hub_url}/healthz")).status_code

    await eventually(health, lambda status: status == 200, within=recovery_budget(net))
    data = await activity(net, await admin_token(net))
    assert (data["loanCount"], data["unavailable"]) == (1, [])
