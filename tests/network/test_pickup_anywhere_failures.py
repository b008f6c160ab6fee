"""A member down or slow in the middle of a network request (issue 6): the call fails
clearly, the members that answered keep no half-made state, and a retry with the same
idempotency key after a timeout finds the owner's first answer instead of a second request."""

from __future__ import annotations

from typing import Any

import pytest
from sqlalchemy import func, select

from institution_node.store.models import Request, User
from tests.network.conftest import NetworkFactory
from tests.network.test_getit import patron_token
from tests.support.builders import two_library_institution
from tests.support.fulfilment_queries import HUB_REQUEST
from tests.support.network import LiveNetwork
from tests.support.nodes import GraphQLErrors
from tests.support.pickup_network import owner_data

pytestmark = pytest.mark.network

#: The hub's member timeout here: long enough for a busy machine, short enough for the test.
TIMEOUT = 3.0


async def ask(net: LiveNetwork, token: str, barcode: str, key: str) -> dict[str, Any]:
    variables = {"owner": "UNIB", "pi": "UNIC", "pl": "MAIN", "barcode": barcode, "key": key}
    data = await net.hub_gql(HUB_REQUEST, variables, token=token)
    step: dict[str, Any] = data["networkRequest"]
    return step


async def failure(net: LiveNetwork, token: str, barcode: str, key: str) -> list[str]:
    with pytest.raises(GraphQLErrors) as caught:
        await ask(net, token, barcode, key)
    return caught.value.codes


async def at_owner(net: LiveNetwork) -> tuple[int, int]:
    """(patron requests, linked accounts) at the owner."""
    async with net.nodes["UNIB"].runtime.sessions() as session:
        requests = await session.scalar(select(func.count(Request.id)))
        linked = await session.scalar(
            select(func.count(User.id)).where(User.source_institution_code.is_not(None))
        )
    return int(requests or 0), int(linked or 0)


async def test_members_down_or_slow_leave_no_half_made_state(
    network_factory: NetworkFactory,
) -> None:
    net = await network_factory(
        [two_library_institution("UNIA"), owner_data(), two_library_institution("UNIC")],
        hub_settings={"member_timeout_seconds": TIMEOUT, "breaker_failures": 50},
    )
    p1 = await patron_token(net, "P1")
    p2 = await patron_token(net, "P2")

    # The owner answers too late: the caller is told, and retrying the same key later
    # returns the request the owner made meanwhile (one request, not two).
    net.nodes["UNIB"].set_delay_ms(int((TIMEOUT + 1.0) * 1000))
    assert await failure(net, p1, "S-1", "slow-1") == ["MEMBER_TIMEOUT"]
    net.nodes["UNIB"].set_delay_ms(0)
    retried = await ask(net, p1, "S-1", "slow-1")
    assert retried["requestStatus"] == "PICK_FROM_SHELF"
    assert await at_owner(net) == (1, 1)

    # The home member is down: nothing is written at the owner.
    await net.nodes["UNIA"].stop()
    assert await failure(net, p2, "C-1", "home-down") == ["MEMBER_UNAVAILABLE"]
    assert await at_owner(net) == (1, 1)

    # The pickup member is down: the pickup place cannot be checked, nothing is written.
    await net.nodes["UNIC"].stop()
    assert await failure(net, p1, "E-1", "pickup-down") == ["MEMBER_UNAVAILABLE"]
    assert await at_owner(net) == (1, 1)
