"""Pickup anywhere on the network API: the owner's side of each cross-member step, and the
acting member's desk facts (issue 6, docs/NETWORK.md). Every write takes an idempotency key."""

from __future__ import annotations

from typing import Annotated

import strawberry

from ...services.network.linked_accounts import HomeRecord
from ...services.pickup import circulation, desk, desks, requests
from .context import NetworkInfo
from .fulfilment_types import (
    ActingInput,
    NetworkDeskType,
    OwnerStepType,
    PickupInput,
    PickupLibraryType,
)
from .identity import NetworkIdentityInput
from .linked import NetworkPatronInput


@strawberry.type
class FulfilmentQuery:
    @strawberry.field(description="One of this member's desks and its library.")
    async def network_desk(self, info: NetworkInfo, code: str) -> NetworkDeskType:
        info.context.hub()
        found = await info.context.read(lambda session: desks.desk_info(session, desk_code=code))
        return NetworkDeskType.from_domain(found)

    @strawberry.field(description="This member's libraries with a pickup-point desk.")
    async def pickup_libraries(self, info: NetworkInfo) -> list[PickupLibraryType]:
        info.context.hub()
        found = await info.context.read(desks.pickup_libraries)
        return [PickupLibraryType(code=lib.code, name=lib.name) for lib in found]

    @strawberry.field(
        description="Our item as the acting member may see it (its pickup request or the "
        "loan made there); NOT_FOUND otherwise."
    )
    async def item_for_member(
        self, info: NetworkInfo, acting: ActingInput, barcode: str
    ) -> OwnerStepType:
        info.context.hub()
        step = await info.context.read(
            lambda session: desk.item_for_member(
                session, acting=acting.to_domain(), barcode=barcode
            )
        )
        return OwnerStepType.from_domain(step)


@strawberry.type
class FulfilmentMutation:
    @strawberry.mutation(
        description="Request our title (recordId) or item (barcode) for another member's "
        "patron, for pickup at a member library; makes the linked account (REQUEST) if needed."
    )
    async def place_network_request(
        self,
        info: NetworkInfo,
        patron: NetworkPatronInput,
        pickup: PickupInput,
        idempotency_key: str,
        record_id: str | None = None,
        barcode: str | None = None,
    ) -> OwnerStepType:
        info.context.hub()
        record: HomeRecord = patron.to_domain()
        async with info.context.session() as session:
            step = await requests.place_network_request(
                session,
                patron=record,
                record_id=record_id,
                barcode=barcode,
                pickup=pickup.to_domain(),
                idempotency_key=idempotency_key,
            )
        return OwnerStepType.from_domain(step)

    @strawberry.mutation(description="The patron cancels their request here.")
    async def cancel_network_request(
        self,
        info: NetworkInfo,
        patron: NetworkIdentityInput,
        request_id: int,
        reason: str,
        idempotency_key: str,
    ) -> OwnerStepType:
        info.context.hub()
        async with info.context.session() as session:
            step = await requests.cancel_network_request(
                session,
                home=patron.home_institution,
                home_user_id=patron.home_user_id,
                request_id=request_id,
                reason=reason,
                idempotency_key=idempotency_key,
            )
        return OwnerStepType.from_domain(step)

    @strawberry.mutation(description="The pickup member received our item: on its hold shelf.")
    async def receive_for_pickup(
        self, info: NetworkInfo, acting: ActingInput, barcode: str, idempotency_key: str
    ) -> OwnerStepType:
        info.context.hub()
        async with info.context.session() as session:
            step = await desk.receive_for_pickup(
                session,
                acting=acting.to_domain(),
                barcode=barcode,
                idempotency_key=idempotency_key,
            )
        return OwnerStepType.from_domain(step)

    @strawberry.mutation(description="The pickup member loans our held item to its patron.")
    async def loan_for_pickup(
        self,
        info: NetworkInfo,
        acting: ActingInput,
        barcode: str,
        patron: NetworkIdentityInput,
        idempotency_key: str,
        home_record: Annotated[
            NetworkPatronInput | None,
            strawberry.argument(
                description="The patron's limited record from the home, read by the hub "
                "just now: the linked account is refreshed from it (DOMAIN §3)."
            ),
        ] = None,
    ) -> OwnerStepType:
        info.context.hub()
        async with info.context.session() as session:
            step = await circulation.loan_for_pickup(
                session,
                acting=acting.to_domain(),
                barcode=barcode,
                home=patron.home_institution,
                home_user_id=patron.home_user_id,
                idempotency_key=idempotency_key,
                home_record=home_record.to_domain() if home_record is not None else None,
            )
        return OwnerStepType.from_domain(step)

    @strawberry.mutation(description="Another member checks our item in: it travels home.")
    async def return_for_member(
        self, info: NetworkInfo, acting: ActingInput, barcode: str, idempotency_key: str
    ) -> OwnerStepType:
        info.context.hub()
        async with info.context.session() as session:
            step = await circulation.return_for_member(
                session,
                acting=acting.to_domain(),
                barcode=barcode,
                idempotency_key=idempotency_key,
            )
        return OwnerStepType.from_domain(step)
