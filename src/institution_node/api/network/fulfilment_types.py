"""Types of the pickup-anywhere part of the network API (issue 6, docs/NETWORK.md)."""

from __future__ import annotations

import strawberry

from network_common.graphql_vocabulary import LoanStatus, NextStep, RequestStatus

from ...services.pickup import desks
from ...services.pickup.requests import RemotePickup
from ...services.pickup.steps import Acting, OwnerStep


@strawberry.type(
    name="OwnerStep",
    description="The owner's item after a cross-member step: its request and/or loan here "
    "and where the item goes next (times are ISO 8601).",
)
class OwnerStepType:
    owner_institution: str
    barcode: str | None
    title: str | None
    request_id: int | None
    request_status: RequestStatus | None
    pickup_institution: str | None
    pickup_library_code: str | None
    pickup_library_name: str | None
    hold_shelf_expiry: str | None
    loan_status: LoanStatus | None
    loan_institution: str | None
    due_date: str | None
    next_step: NextStep | None
    destination_institution: str | None
    destination_library_code: str | None
    destination_library_name: str | None
    patron_name: str | None
    home_institution: str | None
    home_user_id: str | None
    local_primary_id: str | None
    network_link_id: str | None

    @classmethod
    def from_domain(cls, step: OwnerStep) -> OwnerStepType:
        return cls(**step.to_dict())


@strawberry.input(description="The member acting on the owner's item, as the hub checked it.")
class ActingInput:
    institution: str
    library_code: str
    library_name: str
    desk_code: str
    reply_to: str | None = None

    def to_domain(self) -> Acting:
        return Acting(
            institution=self.institution,
            library_code=self.library_code,
            library_name=self.library_name,
            desk_code=self.desk_code,
            reply_to=self.reply_to,
        )


@strawberry.input(description="Pickup at a library of a member (possibly this one).")
class PickupInput:
    institution: str
    library_code: str
    library_name: str | None = None

    def to_domain(self) -> RemotePickup:
        return RemotePickup(
            institution=self.institution.strip(),
            library_code=self.library_code.strip(),
            library_name=self.library_name,
        )


@strawberry.type(name="NetworkDesk", description="One of this member's circulation desks.")
class NetworkDeskType:
    desk_code: str
    desk_name: str
    library_id: int
    library_code: str
    library_name: str
    pickup_point: bool
    reply_to: str | None

    @classmethod
    def from_domain(cls, desk: desks.DeskInfo) -> NetworkDeskType:
        return cls(
            desk_code=desk.desk_code,
            desk_name=desk.desk_name,
            library_id=desk.library_id,
            library_code=desk.library_code,
            library_name=desk.library_name,
            pickup_point=desk.pickup_point,
            reply_to=desk.reply_to,
        )


@strawberry.type(name="PickupLibrary", description="A library with a pickup-point desk.")
class PickupLibraryType:
    code: str
    name: str
