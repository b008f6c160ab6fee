"""The hub's in-process cache of linked-account index look-ups (issue 17,
store/index_cache.py): a repeated look-up costs no statement, and no write this process
makes, nor any change it applies from a member's feed, leaves a cached answer the database
would not give; a look-up in flight across a write does not store what it read."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator
from typing import Any

import pytest

from network_hub.services.index_sync import poll_member
from network_hub.store.index import IndexEntry
from tests.network.conftest import NetworkFactory
from tests.network.test_network_activity import ACTIVITY, admin_token, holder, home_unia
from tests.support.network_data import linked_patron
from tests.support.statements import count_statements

pytestmark = pytest.mark.network


def _codes(links: list[IndexEntry]) -> list[str]:
    return [link.member_code for link in links]


async def test_a_cached_look_up_is_forgotten_by_every_write(
    network_factory: NetworkFactory,
) -> None:
    net = await network_factory([home_unia(), holder("UNIB", 1)])
    runtime = net.hub_runtime
    links = runtime.links
    with count_statements(runtime.engine) as statements:
        first = await links.links_and_record(institution="UNIA", patron_id="L1")
        again = await links.links_and_record(institution="UNIA", patron_id="L1")
        record = await links.links_and_record(institution="UNIB", patron_id="UNIA:L1")
        assert await links.links_and_record(institution="UNIB", patron_id="UNIA:L1") == record
    assert first == again
    assert (_codes(first[0]), first[1]) == (["UNIB"], None)
    assert record[1] is not None
    selects = [s for s in statements if s.startswith("SELECT")]
    assert len(selects) == 2  # one per distinct look-up, none for the repeats

    # record_link: a new holder of L1, and its record, seen at once.
    unic = IndexEntry("UNIC", "UNIA", "L1", "n-1", "UNIA:L1")
    assert (await links.links_and_record(institution="UNIC", patron_id="UNIA:L1"))[1] is None
    await links.record_link(unic)
    assert _codes(await links.links_for(home="UNIA", user_id="L1")) == ["UNIB", "UNIC"]
    assert (await links.links_and_record(institution="UNIC", patron_id="UNIA:L1"))[1] == unic
    # drop_links: the identity's links and its records at that member.
    await links.drop_links(home="UNIA", user_id="L1", members=["UNIC"])
    assert _codes(await links.links_for(home="UNIA", user_id="L1")) == ["UNIB"]
    assert (await links.links_and_record(institution="UNIC", patron_id="UNIA:L1"))[1] is None
    # replace_member (a full sync): everything of the member.
    await links.replace_member("UNIB", [])
    assert await links.links_and_record(institution="UNIA", patron_id="L1") == ([], None)
    assert (await links.links_and_record(institution="UNIB", patron_id="UNIA:L1"))[1] is None
    # The hub's answers agree: L1 holds no linked account any more.
    data = await net.hub_gql(ACTIVITY, {"patronId": "L1"}, token=await admin_token(net))
    assert data["networkActivity"]["institutions"] == []


async def test_a_change_from_a_members_feed_is_seen_at_once(
    network_factory: NetworkFactory,
) -> None:
    """Also the bound on other hub processes' writes: this process learns of them from its
    own feed poll (here the member deletes the account itself)."""
    unib = holder("UNIB", 1)
    unib["users"].append(linked_patron("UNIA", "L2"))  # a linked account without activity
    net = await network_factory([home_unia(), unib])
    runtime = net.hub_runtime
    assert _codes(await runtime.links.links_for(home="UNIA", user_id="L2")) == ["UNIB"]
    await net.delete_linked_account("UNIB", "UNIA:L2")
    client = runtime.registry.get("UNIB")
    assert client is not None
    assert await poll_member(runtime=runtime, client=client)
    assert await runtime.links.links_for(home="UNIA", user_id="L2") == []
    assert _codes(await runtime.links.links_for(home="UNIA", user_id="L1")) == ["UNIB"]


async def test_a_look_up_in_flight_across_a_write_does_not_store_its_older_answer(
    network_factory: NetworkFactory, monkeypatch: pytest.MonkeyPatch
) -> None:
    net = await network_factory([home_unia(), holder("UNIB", 1)])
    links = net.hub_runtime.links
    read, release = asyncio.Event(), asyncio.Event()
    sessions = links._sessions

    @contextlib.asynccontextmanager
    async def reading_first() -> AsyncIterator[Any]:
        async with sessions() as session:
            yield session
        if not read.is_set():  # the look-up's rows were read; its answer is not stored yet
            read.set()
            await release.wait()

    monkeypatch.setattr(links, "_sessions", reading_first)
    in_flight = asyncio.create_task(links.links_for(home="UNIA", user_id="L1"))
    await read.wait()
    await links.drop_links(home="UNIA", user_id="L1", members=["UNIB"])
    release.set()
    assert _codes(await in_flight) == ["UNIB"]  # read before the write: fine to return
    assert await links.links_for(home="UNIA", user_id="L1") == []
