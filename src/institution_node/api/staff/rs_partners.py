"""The partner directory and rotas on the staff API (DOMAIN §8).

Every resource sharing operator reads them; institution-wide Fulfillment Services Managers
(or fulfillment administrators) keep them. Network members come from the hub's member list
and are never retyped: for them only the lending library and the active flag change.
"""

from __future__ import annotations

import strawberry

from ...domain.partners import PartnerProtocol
from ...services.resource_sharing import partners as service
from ...services.resource_sharing import rotas as rota_service
from ..context import StaffInfo
from .rs_types import PartnerCreated, ResourceSharingPartner, Rota


@strawberry.input(description="An outside partner as staff type it in.")
class PartnerInput:
    code: str
    name: str
    protocol: PartnerProtocol = PartnerProtocol.ISO18626
    agency_type: str | None = strawberry.field(default=None, description="Default ISIL.")
    agency_value: str | None = strawberry.field(default=None, description="Default: the code.")
    endpoint_url: str | None = None
    outbound_secret: str | None = strawberry.field(
        default=None, description="What we present when we send to it (its secret)."
    )
    outbound_header: str | None = strawberry.field(
        default=None, description="The header carrying it (default authorization)."
    )
    ncip_application_profile: str | None = None
    lending_library_code: str | None = strawberry.field(
        default=None, description="The library working this partner's lending requests."
    )
    active: bool = True

    def to_domain(self) -> service.PartnerSpec:
        return service.PartnerSpec(
            code=self.code,
            name=self.name,
            protocol=self.protocol,
            agency_type=self.agency_type,
            agency_value=self.agency_value,
            endpoint_url=self.endpoint_url,
            outbound_secret=self.outbound_secret,
            outbound_header=self.outbound_header,
            ncip_application_profile=self.ncip_application_profile,
            lending_library_code=self.lending_library_code,
            active=self.active,
        )


@strawberry.input
class RotaInput:
    code: str
    name: str
    partner_codes: list[str]
    is_default: bool = False


@strawberry.type
class PartnerQuery:
    @strawberry.field(description="The partner directory: network members first, then by code.")
    async def resource_sharing_partners(
        self, info: StaffInfo, active_only: bool = False
    ) -> list[ResourceSharingPartner]:
        actor = info.context.staff()
        async with info.context.session() as session:
            found = await service.list_partners(session, actor=actor, active_only=active_only)
        return [ResourceSharingPartner.from_domain(p) for p in found]

    @strawberry.field(description="Rotas with their partners in order.")
    async def rotas(self, info: StaffInfo) -> list[Rota]:
        actor = info.context.staff()
        async with info.context.session() as session:
            found = await rota_service.list_rotas(session, actor=actor)
        return [Rota.from_domain(r) for r in found]


@strawberry.type
class PartnerMutation:
    @strawberry.mutation(description="Add an outside partner (its inbound secret shown once).")
    async def create_partner(self, info: StaffInfo, input: PartnerInput) -> PartnerCreated:
        actor = info.context.staff()
        async with info.context.session() as session:
            view, secret = await service.create_partner(
                session, actor=actor, spec=input.to_domain()
            )
        return PartnerCreated(
            partner=ResourceSharingPartner.from_domain(view), inbound_secret=secret
        )

    @strawberry.mutation(
        description="Change a partner (network members: lending library and active only)."
    )
    async def update_partner(
        self, info: StaffInfo, code: str, input: PartnerInput
    ) -> ResourceSharingPartner:
        actor = info.context.staff()
        async with info.context.session() as session:
            view = await service.update_partner(
                session, actor=actor, code=code, spec=input.to_domain()
            )
        return ResourceSharingPartner.from_domain(view)

    @strawberry.mutation(description="Deactivate a partner: it is asked nothing from now on.")
    async def deactivate_partner(self, info: StaffInfo, code: str) -> ResourceSharingPartner:
        actor = info.context.staff()
        async with info.context.session() as session:
            view = await service.set_partner_active(session, actor=actor, code=code, active=False)
        return ResourceSharingPartner.from_domain(view)

    @strawberry.mutation(description="Reactivate a partner.")
    async def activate_partner(self, info: StaffInfo, code: str) -> ResourceSharingPartner:
        actor = info.context.staff()
        async with info.context.session() as session:
            view = await service.set_partner_active(session, actor=actor, code=code, active=True)
        return ResourceSharingPartner.from_domain(view)

    @strawberry.mutation(description="A new inbound secret for an outside partner (shown once).")
    async def rotate_partner_secret(self, info: StaffInfo, code: str) -> str:
        actor = info.context.staff()
        async with info.context.session() as session:
            return await service.rotate_secret(session, actor=actor, code=code)

    @strawberry.mutation(description="Create or replace a rota (requests keep their copy).")
    async def save_rota(self, info: StaffInfo, input: RotaInput) -> Rota:
        actor = info.context.staff()
        async with info.context.session() as session:
            view = await rota_service.save_rota(
                session,
                actor=actor,
                code=input.code,
                name=input.name,
                partner_codes=input.partner_codes,
                is_default=input.is_default,
            )
        return Rota.from_domain(view)

    @strawberry.mutation(description="Remove a rota.")
    async def delete_rota(self, info: StaffInfo, code: str) -> bool:
        actor = info.context.staff()
        async with info.context.session() as session:
            return await rota_service.delete_rota(session, actor=actor, code=code)
