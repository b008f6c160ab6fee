"""Who may act for whom in the hub's pickup-anywhere mutations (issue 10, "Rules the suite
would let break"), through a real hub and real nodes: home UNIA, owner UNIB, pickup UNIC."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import pytest
import pytest_asyncio
from sqlalchemy import func, select

from institution_node.store.models import Request, User
from tests.network.test_getit import patron_token
from tests.support.builders import api_key, staff, two_library_institution
from tests.support.fulfilment_queries import HUB_REQUEST
from tests.support.network import LiveNetwork, start_network
from tests.support.nodes import GraphQLErrors
from tests.support.pickup_network import owner_data

pytestmark = [pytest.mark.network, pytest.mark.asyncio(loop_scope="module")]

CANCEL_FOR = """
mutation($owner: String!, $id: Int!, $key: String!, $user: String) {
  cancelNetworkRequest(owner: $owner, requestId: $id, reason: "not mine",
                       idempotencyKey: $key, homeUserId: $user) { requestStatus homeUserId }
}
"""
NON_REQUESTING = ("USER_MANAGER", "USER_ADMINISTRATOR", "FULFILLMENT_ADMINISTRATOR")


@pytest_asyncio.fixture(scope="module", loop_scope="module")
async def net(tmp_path_factory: pytest.TempPathFactory) -> AsyncIterator[LiveNetwork]:
    home = two_library_institution("UNIA")
    home["users"] += [
        staff(f"unia-{role.lower().replace('_', '-')}", role=role, libraries=None)
        for role in NON_REQUESTING
    ]
    network = await start_network(
        tmp_path_factory.mktemp("guards"),
        [home, owner_data(), two_library_institution("UNIC")],
        hub_settings={"member_timeout_seconds": 15.0},
    )
    yield network
    await network.close()


def ask(barcode: str, key: str, user: str | None = None) -> dict[str, Any]:
    return {"owner": "UNIB", "pi": "UNIC", "pl": "MAIN", "barcode": barcode, "key": key,
            "user": user}  # fmt: skip


async def codes(net: LiveNetwork, query: str, variables: dict[str, Any], token: str) -> list[str]:
    with pytest.raises(GraphQLErrors) as caught:
        await net.hub_gql(query, variables, token=token)
    return caught.value.codes


async def requests_at_b(net: LiveNetwork, primary_id: str) -> list[str]:
    async with net.nodes["UNIB"].runtime.sessions() as session:
        rows = await session.scalars(
            select(Request.status)
            .join(User, User.id == Request.user_id)
            .where(User.primary_id == primary_id)
        )
        return list(rows)


async def linked_at_b(net: LiveNetwork, primary_id: str) -> int:
    async with net.nodes["UNIB"].runtime.sessions() as session:
        count = await session.scalar(
            select(func.count(User.id)).where(User.primary_id == primary_id)
        )
    return int(count or 0)


async def test_a_patron_token_cannot_place_for_another_patron(net: LiveNetwork) -> None:
    p1 = await patron_token(net, "P1")
    net.reset_calls()
    assert await codes(net, HUB_REQUEST, ask("S-1", "p1-for-p2", user="P2"), p1) == ["FORBIDDEN"]
    assert net.nodes["UNIB"].network_calls == 0
    assert (await requests_at_b(net, "UNIA:P2"), await linked_at_b(net, "UNIA:P2")) == ([], 0)
    # Naming themselves is fine.
    mine = (await net.hub_gql(HUB_REQUEST, ask("S-1", "p1-self", user="P1"), token=p1))[
        "networkRequest"
    ]
    assert (mine["homeUserId"], mine["requestStatus"]) == ("P1", "PICK_FROM_SHELF")


async def test_a_patron_token_cannot_cancel_another_patrons_request(net: LiveNetwork) -> None:
    p2 = await patron_token(net, "P2")
    theirs = (await net.hub_gql(HUB_REQUEST, ask("C-1", "p2-own"), token=p2))["networkRequest"]
    p1 = await patron_token(net, "P1")
    for_p2 = {"owner": "UNIB", "id": theirs["requestId"], "key": "p1-cancels", "user": "P2"}
    assert await codes(net, CANCEL_FOR, for_p2, p1) == ["FORBIDDEN"]
    # As themselves, P1 does not find P2's request at the owner.
    as_p1 = {**for_p2, "user": None, "key": "p1-cancels-2"}
    assert await codes(net, CANCEL_FOR, as_p1, p1) == ["NOT_FOUND"]
    assert await requests_at_b(net, "UNIA:P2") == ["PICK_FROM_SHELF"]


@pytest.mark.parametrize("role", NON_REQUESTING)
async def test_only_requesting_roles_place_for_a_patron(net: LiveNetwork, role: str) -> None:
    who = f"unia-{role.lower().replace('_', '-')}"
    token = await net.staff_token("UNIA", api_key(who))
    before = await requests_at_b(net, "UNIA:P1")
    variables = ask("E-1", f"{who}-for-p1", user="P1")
    assert await codes(net, HUB_REQUEST, variables, token) == ["FORBIDDEN"]
    assert await requests_at_b(net, "UNIA:P1") == before


async def test_a_requesting_role_places_for_its_patron(net: LiveNetwork) -> None:
    desk = await net.staff_token("UNIA", api_key("unia-main-op"))  # circulation desk operator
    step = (await net.hub_gql(HUB_REQUEST, ask("W-1", "desk-for-p2", user="P2"), token=desk))[
        "networkRequest"
    ]
    assert (step["homeUserId"], step["requestStatus"]) == ("P2", "PICK_FROM_SHELF")
