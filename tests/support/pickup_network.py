"""Helpers for the pickup-anywhere network tests: owner data and the steps each member takes
(home UNIA, owner UNIB, pickup member UNIC)."""

from __future__ import annotations

from typing import Any

import pytest
from sqlalchemy import func, select

from institution_node.store.models import Item, Notification, User
from tests.network.test_getit import patron_token
from tests.support.builders import api_key, holding, record, two_library_institution
from tests.support.fulfilment_queries import HUB_ACTIVITY, HUB_RECEIVE, HUB_REQUEST
from tests.support.network import LiveNetwork
from tests.support.nodes import GraphQLErrors
from tests.support.request_queries import PICK_FROM_SHELF, SCAN_IN

BARCODES = ("S-1", "C-1", "E-1", "W-1", "I-1", "R-1")
OWNER_MANAGED = ("O-1", "O-2")


def owner_data() -> dict[str, Any]:
    data = two_library_institution(
        "UNIB", uresolver_remote_register="AUTO", pickup_anywhere=["UNIC"]
    )
    data["records"] += [
        record(f"rec-{b}", title=f"Travelling {b}", holdings=[holding("MAIN", b)]) for b in BARCODES
    ]
    # Items whose loans at UNIC the owner keeps managing by its own terms (DOMAIN §6.5).
    data["records"] += [
        record(f"rec-{b}", title=f"Owned {b}", holdings=[holding("MAIN", b, location="NETWORK")])
        for b in OWNER_MANAGED
    ]
    data["fulfilment_rules"] = [
        {
            "name": "Network shelf",
            "locations": ["NETWORK"],
            "loan_period_days": 14,
            "renewals_allowed": 2,
            "fine_per_day": "0.50",
            "lost_after_days_overdue": 10,
            "lost_replacement_fee": "40.00",
        }
    ]
    return data


async def staff(net: LiveNetwork, code: str, who: str = "admin") -> str:
    return await net.staff_token(code, api_key(f"{code.lower()}-{who}"))


async def hub(net: LiveNetwork, query: str, token: str, **variables: Any) -> dict[str, Any]:
    data = await net.hub_gql(query, variables, token=token)
    answer: dict[str, Any] = next(iter(data.values()))
    return answer


async def refused(net: LiveNetwork, query: str, token: str, **variables: Any) -> list[str]:
    with pytest.raises(GraphQLErrors) as caught:
        await net.hub_gql(query, variables, token=token)
    return caught.value.codes


async def at_b(net: LiveNetwork, query: str, **variables: Any) -> Any:
    """One staff API call at the owner as its admin; the root field's value."""
    node = net.nodes["UNIB"]
    token = await staff(net, "UNIB")
    response = await node.http.post(
        f"{node.url}/graphql",
        json={"query": query, "variables": variables},
        headers={"authorization": f"Bearer {token}"},
    )
    body: dict[str, Any] = response.json()
    if body.get("errors"):
        raise GraphQLErrors(body["errors"])
    return next(iter(body["data"].values()))


async def request_for_c(net: LiveNetwork, barcode: str, patron: str = "P1") -> dict[str, Any]:
    return await hub(
        net,
        HUB_REQUEST,
        await patron_token(net, patron),
        owner="UNIB",
        pi="UNIC",
        pl="MAIN",
        barcode=barcode,
        key=f"req-{barcode}",
    )


async def b_sends(net: LiveNetwork, barcode: str) -> dict[str, Any]:
    step: dict[str, Any] = await at_b(net, SCAN_IN, barcode=barcode, desk="MAIN-DESK")
    return step


async def c_receives(net: LiveNetwork, barcode: str, key: str) -> dict[str, Any]:
    token = await staff(net, "UNIC", "main-op")
    return await hub(
        net, HUB_RECEIVE, token, owner="UNIB", barcode=barcode, desk="MAIN-DESK", key=key
    )


async def activity(net: LiveNetwork, patron: str = "P1") -> dict[str, Any]:
    return await hub(net, HUB_ACTIVITY, await staff(net, "UNIA"), patronId=patron)


async def b_item_status(net: LiveNetwork, barcode: str) -> str:
    async with net.nodes["UNIB"].runtime.sessions() as session:
        return str(await session.scalar(select(Item.status).where(Item.barcode == barcode)))


async def pick_list(net: LiveNetwork) -> list[dict[str, Any]]:
    rows: list[dict[str, Any]] = await at_b(net, PICK_FROM_SHELF, lib="MAIN")
    return rows


async def letters(net: LiveNetwork, primary_id: str, letter: str) -> int:
    async with net.nodes["UNIB"].runtime.sessions() as session:
        return int(
            await session.scalar(
                select(func.count(Notification.id))
                .join(User, User.id == Notification.user_id)
                .where(User.primary_id == primary_id, Notification.letter == letter)
            )
            or 0
        )
