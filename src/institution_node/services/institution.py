"""Reading the institution, its libraries and desks."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from enum import StrEnum
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from network_common.errors import Forbidden, InvalidInput, NotFound
from network_common.tokens import Principal
from network_common.vocabulary import (
    AvailabilityDisplay,
    IndependenceModel,
    RemoteRegister,
    StaffRoleType,
)

from ..domain.money import parse_optional_fee, to_minor
from ..domain.vocabulary import RegistrationRoleScope
from ..store.models import Institution, Library
from .circulation.common import fit_columns


async def get_institution(session: AsyncSession) -> Institution:
    """The institution row (exactly one per node)."""
    row: Institution | None = await session.scalar(select(Institution))
    if row is None:
        raise NotFound("No institution is loaded on this node")
    return row


async def list_libraries(session: AsyncSession) -> Sequence[Library]:
    """All libraries, by code."""
    return (await session.scalars(select(Library).order_by(Library.code))).all()


_ENUMS: dict[str, type[StrEnum]] = {
    "uresolver_remote_register": RemoteRegister,
    "fulfillment_independence_model": IndependenceModel,
    "network_availability_display": AvailabilityDisplay,
    "registration_role_scope": RegistrationRoleScope,
}


async def update_settings(
    session: AsyncSession, *, actor: Principal, changes: Mapping[str, Any]
) -> Institution:
    """Change institution settings: institution-scoped Fulfillment Administrators only."""
    admin_scope = actor.scope(frozenset({StaffRoleType.FULFILLMENT_ADMINISTRATOR}))
    if not actor.has_any_role(frozenset({StaffRoleType.FULFILLMENT_ADMINISTRATOR})) or not (
        admin_scope.institution
    ):
        raise Forbidden("Only an institution-wide Fulfillment Administrator changes these settings")
    row = await get_institution(session)
    for name, value in changes.items():
        if value is None:
            continue
        if name in _ENUMS:
            try:
                value = _ENUMS[name](value).value
            except ValueError as exc:
                allowed = ", ".join(m.value for m in _ENUMS[name])
                raise InvalidInput(f"{name} must be one of {allowed}") from exc
        elif name == "pickup_anywhere":
            value = sorted({str(code).strip() for code in value if str(code).strip()})
        elif name == "name" and not str(value).strip():
            raise InvalidInput("The institution's name must not be empty")
        elif name == "hold_shelf_days" and not 1 <= int(value) <= 365:
            raise InvalidInput("hold_shelf_days must be between 1 and 365")
        elif name == "courtesy_notice_days" and not 0 <= int(value) <= 60:
            raise InvalidInput("courtesy_notice_days must be between 0 and 60")
        elif name == "registration_role_days" and not 1 <= int(value) <= 3650:
            raise InvalidInput("registration_role_days must be between 1 and 3650")
        elif name not in _SIMPLE:
            raise InvalidInput(f"Unknown setting {name}")
        if isinstance(value, str):
            fit_columns(Institution, **{name: value})
        setattr(row, name, value)
    await session.commit()
    return row


_SIMPLE = frozenset(
    {
        "name",
        "reply_to_email",
        "limit_user_search_by_library_scope",
        "separate_patron_notifications_by_library",
        "cross_consortia_identifiers",
        "return_anywhere",
        "hold_shelf_days",
        "courtesy_notice_days",
        "registration_role_scope",
        "registration_role_days",
    }
)


async def update_library(
    session: AsyncSession,
    *,
    actor: Principal,
    library_code: str,
    reply_to_email: str | None,
    registration_fee: str | None,
) -> Library:
    """Change one library's configuration: Fulfillment Administrators whose scope covers it
    (DOMAIN §7: library-scoped administrators change only their libraries)."""
    if not actor.has_any_role(frozenset({StaffRoleType.FULFILLMENT_ADMINISTRATOR})):
        raise Forbidden("Only a Fulfillment Administrator changes library configuration")
    library = await session.scalar(select(Library).where(Library.code == library_code))
    if library is None:
        raise NotFound("No such library")
    institution = await get_institution(session)
    scope = actor.scope(frozenset({StaffRoleType.FULFILLMENT_ADMINISTRATOR}))
    if not scope.covers(library.id):
        # Same answer as a missing library: nothing is learned about libraries out of scope.
        raise NotFound("No such library")
    if reply_to_email is not None:
        fit_columns(Library, reply_to_email=reply_to_email.strip())
        library.reply_to_email = reply_to_email.strip() or None
    if registration_fee is not None:
        fee = parse_optional_fee(registration_fee, institution.currency, field="registration_fee")
        library.registration_fee_minor = (
            None if fee is None else to_minor(fee, institution.currency)
        )
    await session.commit()
    return library
