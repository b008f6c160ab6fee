"""Institution, libraries and desks; settings changes (administrators only)."""

from __future__ import annotations

import strawberry

from network_common.graphql_vocabulary import AvailabilityDisplay, IndependenceModel, RemoteRegister

from ...services import institution as service
from ...store.models import Desk as DeskRow
from ...store.models import Institution as InstitutionRow
from ...store.models import Library as LibraryRow
from ..context import StaffInfo
from .enums import RegistrationRoleScope


@strawberry.type
class Library:
    id: strawberry.ID
    code: str
    name: str
    reply_to_email: str | None

    @classmethod
    def from_row(cls, row: LibraryRow) -> Library:
        return cls(
            id=strawberry.ID(str(row.id)),
            code=row.code,
            name=row.name,
            reply_to_email=row.reply_to_email,
        )


@strawberry.type
class Desk:
    id: strawberry.ID
    code: str
    name: str
    library_code: str
    is_pickup_point: bool

    @classmethod
    def from_row(cls, row: DeskRow, library_code: str) -> Desk:
        return cls(
            id=strawberry.ID(str(row.id)),
            code=row.code,
            name=row.name,
            library_code=library_code,
            is_pickup_point=row.is_pickup_point,
        )


@strawberry.type
class InstitutionSettings:
    code: str
    name: str
    currency: str
    uresolver_remote_register: RemoteRegister
    fulfillment_independence_model: IndependenceModel
    limit_user_search_by_library_scope: bool
    separate_patron_notifications_by_library: bool
    network_availability_display: AvailabilityDisplay
    cross_consortia_identifiers: bool
    pickup_anywhere: list[str]
    return_anywhere: bool
    hold_shelf_days: int
    courtesy_notice_days: int = strawberry.field(
        description="Courtesy notices go out for loans due within this many days (0: none)."
    )

    @classmethod
    def from_row(cls, row: InstitutionRow) -> InstitutionSettings:
        return cls(
            code=row.code,
            name=row.name,
            currency=row.currency,
            uresolver_remote_register=RemoteRegister(row.uresolver_remote_register),
            fulfillment_independence_model=IndependenceModel(row.fulfillment_independence_model),
            limit_user_search_by_library_scope=row.limit_user_search_by_library_scope,
            separate_patron_notifications_by_library=row.separate_patron_notifications_by_library,
            network_availability_display=AvailabilityDisplay(row.network_availability_display),
            cross_consortia_identifiers=row.cross_consortia_identifiers,
            pickup_anywhere=list(row.pickup_anywhere or []),
            return_anywhere=row.return_anywhere,
            hold_shelf_days=row.hold_shelf_days,
            courtesy_notice_days=row.courtesy_notice_days,
        )


@strawberry.type
class InstitutionQuery:
    @strawberry.field(description="This institution and its settings.")
    async def institution(self, info: StaffInfo) -> InstitutionSettings:
        info.context.staff()
        async with info.context.session() as session:
            row = await service.get_institution(session)
        return InstitutionSettings.from_row(row)

    @strawberry.field(description="Libraries of this institution.")
    async def libraries(self, info: StaffInfo) -> list[Library]:
        info.context.staff()
        async with info.context.session() as session:
            rows = await service.list_libraries(session)
        return [Library.from_row(r) for r in rows]


@strawberry.input(description="Only the fields given are changed.")
class SettingsInput:
    name: str | None = None
    reply_to_email: str | None = None
    uresolver_remote_register: RemoteRegister | None = None
    fulfillment_independence_model: IndependenceModel | None = None
    limit_user_search_by_library_scope: bool | None = None
    separate_patron_notifications_by_library: bool | None = None
    network_availability_display: AvailabilityDisplay | None = None
    cross_consortia_identifiers: bool | None = None
    pickup_anywhere: list[str] | None = None
    return_anywhere: bool | None = None
    hold_shelf_days: int | None = None
    courtesy_notice_days: int | None = None
    registration_role_scope: RegistrationRoleScope | None = None
    registration_role_days: int | None = None


@strawberry.type
class InstitutionMutation:
    @strawberry.mutation(
        description="Change institution settings (institution-wide administrators)."
    )
    async def update_settings(self, info: StaffInfo, input: SettingsInput) -> InstitutionSettings:
        actor = info.context.staff()
        async with info.context.session() as session:
            row = await service.update_settings(session, actor=actor, changes=vars(input))
        return InstitutionSettings.from_row(row)

    @strawberry.mutation(description="Change a library's reply-to address or registration fee.")
    async def update_library(
        self,
        info: StaffInfo,
        library_code: str,
        reply_to_email: str | None = None,
        registration_fee: str | None = None,
    ) -> Library:
        actor = info.context.staff()
        async with info.context.session() as session:
            row = await service.update_library(
                session,
                actor=actor,
                library_code=library_code,
                reply_to_email=reply_to_email,
                registration_fee=registration_fee,
            )
        return Library.from_row(row)
