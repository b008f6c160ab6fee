"""ensureLinkedAccount and linkedAccounts on the network API (DOMAIN §3, docs/NETWORK.md)."""

from __future__ import annotations

import asyncio
from datetime import date
from typing import Any

import pytest
from sqlalchemy import func, select

from institution_node.store.models import IdempotencyRecord, PatronRole, User
from tests.conftest import NodeFactory
from tests.support.builders import two_library_institution
from tests.support.network_data import member_with_linked_patrons
from tests.support.nodes import GraphQLErrors, NodeHarness
from tests.support.service_tokens import hub_key, hub_settings, service_token

NETWORK = "/network/graphql"
KEY = hub_key()
ENSURE = """
mutation Ensure($patron: NetworkPatronInput!, $origin: LinkOrigin!, $key: String!,
               $desk: String) {
  ensureLinkedAccount(patron: $patron, origin: $origin, idempotencyKey: $key, deskCode: $desk) {
    localPrimaryId homeInstitution homeUserId networkLinkId firstName lastName email
    userGroup expiryDate origin
  }
}
"""
LINKED = """
query Page($after: Int, $first: Int!) {
  linkedAccounts(after: $after, first: $first) {
    accounts { localPrimaryId homeInstitution homeUserId networkLinkId }
    nextAfter
  }
}
"""


def home_record(**changes: Any) -> dict[str, Any]:
    return {
        "homeInstitution": "UNIA",
        "homeUserId": "ada",
        "firstName": "Ada",
        "lastName": "Lovelace",
        "email": "ada@unia.example.edu",
        "userGroup": "GRAD",
        "expiryDate": "2027-06-30",
        **changes,
    }


async def ensure(
    node: NodeHarness, key: str, *, origin: str = "REGISTER", **changes: Any
) -> dict[str, Any]:
    data = await node.gql(
        ENSURE,
        {
            "patron": home_record(**changes),
            "origin": origin,
            "key": key,
            # A walk-in is registered at a desk (its registration rules apply).
            "desk": "MAIN-DESK" if origin == "WALK_IN" else None,
        },
        token=service_token(KEY, "UNIB"),
        path=NETWORK,
    )
    account: dict[str, Any] = data["ensureLinkedAccount"]
    return account


async def member(node_factory: NodeFactory, register: str = "MANUAL", **kw: Any) -> NodeHarness:
    data = two_library_institution("UNIB", uresolver_remote_register=register)
    return await node_factory(data, **hub_settings(KEY), **kw)


async def linked_rows(node: NodeHarness) -> list[User]:
    async with node.runtime.sessions() as session:
        return list((await session.scalars(select(User).where(User.source_user_id == "ada"))).all())


async def test_creates_linked_account_with_patron_role(node_factory: NodeFactory) -> None:
    node = await member(node_factory)
    account = await ensure(node, "k-1")
    assert account | {"networkLinkId": None} == {
        "localPrimaryId": "UNIA:ada",
        "homeInstitution": "UNIA",
        "homeUserId": "ada",
        "networkLinkId": None,
        "firstName": "Ada",
        "lastName": "Lovelace",
        "email": "ada@unia.example.edu",
        "userGroup": "GRAD",
        "expiryDate": "2027-06-30",
        "origin": "REGISTER",
    }
    assert len(account["networkLinkId"]) == 32
    async with node.runtime.sessions() as session:
        roles = (
            await session.scalars(
                select(PatronRole).join(User).where(User.primary_id == "UNIA:ada")
            )
        ).all()
    assert [(r.library_id, r.expiry_date) for r in roles] == [(None, date(2027, 6, 30))]


async def test_concurrent_creation_makes_exactly_one_account(
    node_factory: NodeFactory, db_url: str
) -> None:
    node = await member(node_factory, db_url=db_url)
    # 50 calls at once: 5 idempotency keys (retries) x 10, all for the same patron.
    answers = await asyncio.gather(*(ensure(node, f"race-{n % 5}") for n in range(50)))

    assert len({a["networkLinkId"] for a in answers}) == 1
    assert len(await linked_rows(node)) == 1
    async with node.runtime.sessions() as session:
        records = await session.scalar(select(func.count()).select_from(IdempotencyRecord))
        roles = await session.scalar(select(func.count()).select_from(PatronRole))
    assert records == 5
    assert roles == 3  # P1 and P2 from the load file, and the one linked account


async def test_retry_with_same_key_returns_first_answer(node_factory: NodeFactory) -> None:
    node = await member(node_factory)
    first = await ensure(node, "k-1")
    await ensure(node, "k-2", firstName="Augusta")
    assert await ensure(node, "k-1") == first  # the replay, not a second refresh


async def test_same_key_with_different_patron_is_refused(node_factory: NodeFactory) -> None:
    node = await member(node_factory)
    await ensure(node, "k-1")
    with pytest.raises(GraphQLErrors) as caught:
        await ensure(node, "k-1", homeUserId="bob")
    assert caught.value.codes == ["IDEMPOTENCY_MISMATCH"]
    assert len(await linked_rows(node)) == 1


async def test_reuse_refreshes_from_home_record(node_factory: NodeFactory) -> None:
    node = await member(node_factory)
    first = await ensure(node, "k-1")
    again = await ensure(
        node,
        "k-2",
        origin="AUTO",
        firstName="Augusta Ada",
        email="ada@new.example.edu",
        userGroup="STAFF",
        expiryDate="2028-01-31",
    )
    assert again["networkLinkId"] == first["networkLinkId"]
    assert again["localPrimaryId"] == "UNIA:ada"
    assert (again["firstName"], again["email"], again["userGroup"], again["expiryDate"]) == (
        "Augusta Ada",
        "ada@new.example.edu",
        "STAFF",
        "2028-01-31",
    )
    async with node.runtime.sessions() as session:
        expiry = await session.scalar(
            select(PatronRole.expiry_date).join(User).where(User.primary_id == "UNIA:ada")
        )
    assert expiry == date(2028, 1, 31)


async def test_none_refuses_all_but_walk_in(node_factory: NodeFactory) -> None:
    node = await member(node_factory, register="NONE")
    for origin in ("REGISTER", "AUTO", "REQUEST"):
        with pytest.raises(GraphQLErrors) as caught:
            await ensure(node, f"k-{origin}", origin=origin)
        assert caught.value.codes == ["REGISTRATION_DISABLED"]
    assert await linked_rows(node) == []

    walk_in = await ensure(node, "k-walk-in", origin="WALK_IN")
    assert walk_in["origin"] == "WALK_IN"
    assert len(await linked_rows(node)) == 1


async def test_own_patrons_cannot_be_linked_here(node_factory: NodeFactory) -> None:
    node = await member(node_factory)
    with pytest.raises(GraphQLErrors) as caught:
        await ensure(node, "k-1", homeInstitution="UNIB")
    assert caught.value.codes == ["INVALID_INPUT"]


@pytest.mark.parametrize(
    "changes",
    [
        {"email": "e" * 256},
        {"userGroup": "g" * 65},
        {"homeInstitution": "C" * 65, "homeUserId": "x"},
    ],
    ids=["email", "userGroup", "homeInstitution"],
)
async def test_too_long_values_are_invalid_input_on_every_database(
    node_factory: NodeFactory, db_url: str, changes: dict[str, Any]
) -> None:
    node = await member(node_factory, db_url=db_url)
    with pytest.raises(GraphQLErrors) as caught:
        await ensure(node, "k-long", **changes)
    assert caught.value.codes == ["INVALID_INPUT"]
    assert await linked_rows(node) == []


async def test_linked_accounts_are_paged_for_the_index_sync(node_factory: NodeFactory) -> None:
    node = await node_factory(member_with_linked_patrons(patrons=3), **hub_settings(KEY))
    token = service_token(KEY, "UNIB")
    first = (await node.gql(LINKED, {"first": 2}, token=token, path=NETWORK))["linkedAccounts"]
    rest = (
        await node.gql(LINKED, {"first": 2, "after": first["nextAfter"]}, token=token, path=NETWORK)
    )["linkedAccounts"]

    accounts = first["accounts"] + rest["accounts"]
    assert [a["localPrimaryId"] for a in accounts] == ["UNIA:L1", "UNIA:L2", "UNIA:L3"]
    assert [a["homeUserId"] for a in accounts] == ["L1", "L2", "L3"]
    assert rest["nextAfter"] is None
    assert len({a["networkLinkId"] for a in accounts}) == 3
