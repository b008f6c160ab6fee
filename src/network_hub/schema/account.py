"""``myNetworkAccount`` (a patron's own loans, requests and fees at the other members) and
``pickupLibraries`` (where a member lets items be picked up), for the Get It widget and the
patron's account page (issue 14)."""

from __future__ import annotations

import strawberry

from ..activity.upstream import fetch_activity
from ..fulfilment import calls, documents
from ..services import my_account as service
from .activity import NetworkActivity
from .context import HubInfo


@strawberry.type(description="A library of a member with a pickup desk.")
class PickupLibrary:
    institution_code: str
    code: str
    name: str


@strawberry.type
class AccountQuery:
    @strawberry.field(
        description="The calling patron's own activity at every other member where they have "
        "a linked account (patron token only; the identity is the token's)."
    )
    async def my_network_account(self, info: HubInfo) -> NetworkActivity:
        ctx = info.context
        view = await service.my_network_account(
            runtime=ctx.runtime,
            loader=ctx.loader("networkActivity", fetch_activity),
            principal=ctx.caller(),
        )
        return NetworkActivity.from_domain(view)

    @strawberry.field(
        description="The member's libraries with a pickup desk (any member's token), to offer "
        "a pickup place where Get It names only the member."
    )
    async def pickup_libraries(self, info: HubInfo, member: str) -> list[PickupLibrary]:
        info.context.caller()
        data = await calls.call(
            runtime=info.context.runtime,
            member=member,
            document=documents.PICKUP_LIBRARIES,
            variables={},
        )
        return [
            PickupLibrary(institution_code=member, code=lib["code"], name=lib["name"])
            for lib in data["pickupLibraries"]
        ]
