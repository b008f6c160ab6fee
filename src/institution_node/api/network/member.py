"""``member``: this institution's settings as the network sees them (docs/NETWORK.md)."""

from __future__ import annotations

import strawberry

from network_common.graphql_vocabulary import AvailabilityDisplay, RemoteRegister

from ...services import institution as service
from ...store.models import Institution as InstitutionRow
from .context import NetworkInfo


@strawberry.type(description="This member as it reports itself to the network.")
class Member:
    code: str
    name: str
    uresolver_remote_register: RemoteRegister
    network_availability_display: AvailabilityDisplay
    cross_consortia_identifiers: bool
    pickup_anywhere: list[str]
    return_anywhere: bool

    @classmethod
    def from_row(cls, row: InstitutionRow) -> Member:
        return cls(
            code=row.code,
            name=row.name,
            uresolver_remote_register=RemoteRegister(row.uresolver_remote_register),
            network_availability_display=AvailabilityDisplay(row.network_availability_display),
            cross_consortia_identifiers=row.cross_consortia_identifiers,
            pickup_anywhere=list(row.pickup_anywhere or []),
            return_anywhere=row.return_anywhere,
        )


@strawberry.type
class MemberQuery:
    @strawberry.field(description="This member's code, name and network settings.")
    async def member(self, info: NetworkInfo) -> Member:
        info.context.hub()
        row = await info.context.read(service.get_institution)
        return Member.from_row(row)
