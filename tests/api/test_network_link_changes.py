"""The linked-account change feed on the network API (``linkChanges``, docs/NETWORK.md):
what the hub polls to learn of links made or removed here within seconds."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from typing import Any

import pytest
from sqlalchemy import select, text

from institution_node.services.network import link_changes
from institution_node.store.models import User
from network_common.vocabulary import LinkChangeKind
from tests.api.test_network_linked_accounts import ENSURE, home_record
from tests.conftest import NodeFactory, _create_pg_database, _drop_pg_database
from tests.support.builders import api_key, two_library_institution
from tests.support.network_data import linked_patron, member_with_linked_patrons
from tests.support.nodes import NodeHarness
from tests.support.service_tokens import hub_key, hub_settings, service_token
from tests.support.waiting import until

NETWORK = "/network/graphql"
KEY = hub_key()
CHANGES = """
query Changes($after: Int!, $first: Int!) {
  linkChanges(after: $after, first: $first) {
    changes { seq kind localPrimaryId homeInstitution homeUserId networkLinkId }
    cursor more resync
  }
}
"""
CURSOR = "{ linkedAccounts(first: 1) { changeCursor accounts { networkLinkId } } }"
DELETE = "mutation Delete($id: String!) { deleteLinkedAccount(primaryId: $id) }"


async def network(node: NodeHarness, query: str, variables: dict[str, Any]) -> dict[str, Any]:
    return await node.gql(query, variables, token=service_token(KEY, "UNIB"), path=NETWORK)


async def changes(node: NodeHarness, after: int = 0, first: int = 100) -> dict[str, Any]:
    page: dict[str, Any] = (await network(node, CHANGES, {"after": after, "first": first}))[
        "linkChanges"
    ]
    return page


async def ensure(node: NodeHarness, user: str, key: str) -> dict[str, Any]:
    variables = {"patron": home_record(homeUserId=user), "origin": "REGISTER", "key": key}
    account: dict[str, Any] = (await network(node, ENSURE, variables))["ensureLinkedAccount"]
    return account


async def test_created_and_deleted_links_come_in_order(node_factory: NodeFactory) -> None:
    data = two_library_institution("UNIB", uresolver_remote_register="MANUAL")
    node = await node_factory(data, **hub_settings(KEY))
    assert await changes(node) == {"changes": [], "cursor": 0, "more": False, "resync": False}

    ada = await ensure(node, "ada", "k-ada")
    await ensure(node, "ada", "k-ada-again")  # a refresh changes nothing the index keeps
    bob = await ensure(node, "bob", "k-bob")
    admin = await node.token(api_key("unib-admin"))
    assert await node.gql(DELETE, {"id": "UNIA:ada"}, token=admin) == {"deleteLinkedAccount": True}

    page = await changes(node)
    assert [(c["kind"], c["homeUserId"], c["networkLinkId"]) for c in page["changes"]] == [
        ("LINKED", "ada", ada["networkLinkId"]),
        ("LINKED", "bob", bob["networkLinkId"]),
        ("UNLINKED", "ada", ada["networkLinkId"]),
    ]
    seqs = [c["seq"] for c in page["changes"]]
    assert seqs == sorted(seqs)
    assert len(set(seqs)) == 3
    assert (page["cursor"], page["more"]) == (seqs[-1], False)
    assert page["changes"][0]["localPrimaryId"] == "UNIA:ada"

    # Pages of one: each says whether more follow; the cursor walks the same changes.
    first = await changes(node, 0, 1)
    assert ([c["seq"] for c in first["changes"]], first["more"]) == ([seqs[0]], True)
    rest = await changes(node, first["cursor"], 2)
    assert ([c["seq"] for c in rest["changes"]], rest["more"]) == (seqs[1:], False)
    # Up to date: nothing, the same cursor.
    assert await changes(node, seqs[-1]) == {
        "changes": [],
        "cursor": seqs[-1],
        "more": False,
        "resync": False,
    }
    # The full list tells where the feed stood when it was read.
    listed = (await network(node, CURSOR, {}))["linkedAccounts"]
    assert listed["changeCursor"] == seqs[-1]
    assert [a["networkLinkId"] for a in listed["accounts"]] == [bob["networkLinkId"]]


async def test_a_walk_in_registration_is_in_the_feed_too(node_factory: NodeFactory) -> None:
    """A walk-in made at this member's desk is a new link the hub must learn of."""
    node = await node_factory(two_library_institution("UNIB"), **hub_settings(KEY))
    variables = {
        "patron": home_record(homeUserId="walker"),
        "origin": "WALK_IN",
        "key": "k-walk",
        "desk": "MAIN-DESK",
    }
    account = (await network(node, ENSURE, variables))["ensureLinkedAccount"]
    page = await changes(node)
    assert [(c["kind"], c["homeUserId"], c["networkLinkId"]) for c in page["changes"]] == [
        ("LINKED", "walker", account["networkLinkId"])
    ]


async def test_a_cursor_ahead_of_the_feed_asks_for_a_full_read(node_factory: NodeFactory) -> None:
    """E.g. the node's database was restored from an older backup."""
    data = two_library_institution("UNIB", uresolver_remote_register="MANUAL")
    node = await node_factory(data, **hub_settings(KEY))
    await ensure(node, "ada", "k-ada")
    page = await changes(node, after=50)
    assert (page["changes"], page["resync"]) == ([], True)


async def test_an_unlinked_record_with_history_leaves_the_feed_too(
    node_factory: NodeFactory,
) -> None:
    data = member_with_linked_patrons("UNIB", patrons=1)
    data["users"].append(linked_patron("UNIA", "L9"))
    data["loans"], data["fees"] = [], []
    node = await node_factory(data, **hub_settings(KEY))
    loaded = await changes(node)
    assert sorted((c["kind"], c["homeUserId"]) for c in loaded["changes"]) == [
        ("LINKED", "L1"),
        ("LINKED", "L9"),
    ]
    admin = await node.token(api_key("unib-admin"))
    await node.gql(DELETE, {"id": "UNIA:L9"}, token=admin)
    after = await changes(node, loaded["cursor"])
    assert [(c["kind"], c["homeUserId"]) for c in after["changes"]] == [("UNLINKED", "L9")]


async def test_a_reader_following_concurrent_writers_misses_nothing(
    node_factory: NodeFactory, db_url: str
) -> None:
    """Writers commit in the order of their sequence numbers (advisory lock on PostgreSQL),
    so a reader that moves its cursor while they write still sees every change."""
    data = two_library_institution("UNIB", uresolver_remote_register="MANUAL")
    node = await node_factory(data, db_url=db_url, **hub_settings(KEY))
    users = [f"u{n}" for n in range(20)]
    seen: list[str] = []
    cursor = 0
    writers = asyncio.gather(*(ensure(node, u, f"k-{u}") for u in users))
    while not writers.done():
        page = await changes(node, cursor)
        seen += [c["homeUserId"] for c in page["changes"]]
        cursor = page["cursor"]
        await asyncio.sleep(0)
    await writers
    while True:
        page = await changes(node, cursor)
        if not page["changes"]:
            break
        seen += [c["homeUserId"] for c in page["changes"]]
        cursor = page["cursor"]
    assert sorted(seen) == sorted(users)


@pytest.fixture
async def pg_url() -> AsyncIterator[str]:
    url = await _create_pg_database()
    try:
        yield url
    finally:
        await _drop_pg_database(url)


@pytest.mark.postgres
async def test_on_postgresql_a_later_change_never_shows_before_an_earlier_one(
    node_factory: NodeFactory, pg_url: str
) -> None:
    """A writer holding an uncommitted change makes the next writer wait (advisory lock), so
    a reader cannot move its cursor past a change that is still to come. (SQLite has one
    writer at a time: there the order holds by itself.)"""
    data = two_library_institution("UNIB", uresolver_remote_register="MANUAL")
    node = await node_factory(data, db_url=pg_url, **hub_settings(KEY))
    ada = await ensure(node, "ada", "k-ada")
    bob = await ensure(node, "bob", "k-bob")
    start = (await changes(node))["cursor"]
    async with node.runtime.sessions() as session:
        rows = (await session.scalars(select(User).where(User.source_user_id.is_not(None)))).all()
    by_id = {u.source_user_id: u for u in rows}
    recorded, release = asyncio.Event(), asyncio.Event()

    async def write(user: User, *, hold: bool) -> None:
        async with node.runtime.sessions() as session:
            await link_changes.record(session, kind=LinkChangeKind.UNLINKED, user=user)
            if hold:
                recorded.set()
                await release.wait()
            await session.commit()

    first = asyncio.create_task(write(by_id["ada"], hold=True))
    await recorded.wait()
    second = asyncio.create_task(write(by_id["bob"], hold=False))

    # The second writer either waits for the first, or (without the lock) has committed.
    async def queued_or_done() -> bool:
        return second.done() or await _waiting_for_the_feed(node)

    await until(queued_or_done, within=30, what="the second writer waits or is done")
    page = await changes(node, start)
    release.set()
    await asyncio.gather(first, second)
    rest = await changes(node, page["cursor"])
    seen = [c["networkLinkId"] for c in page["changes"] + rest["changes"]]
    assert seen == [ada["networkLinkId"], bob["networkLinkId"]]


async def _waiting_for_the_feed(node: NodeHarness) -> bool:
    """Whether a session of this node's database waits for the feed's advisory lock."""
    async with node.runtime.sessions() as session:
        waiting = await session.scalar(
            text(
                "SELECT count(*) FROM pg_locks l JOIN pg_database d ON d.oid = l.database "
                "WHERE l.locktype = 'advisory' AND NOT l.granted AND l.objid = :key "
                "AND d.datname = current_database()"
            ),
            {"key": link_changes.FEED_LOCK},
        )
    return bool(waiting)
