"""Registering a patron at a desk, and renewing patron roles (DOMAIN §3, §7).

Registration rules come from the institution settings: ``registration_role_scope``
``LIBRARY`` scopes the new patron's role to the desk's library, ``INSTITUTION`` makes it
institution-wide; the role (and the record) expire ``registration_role_days`` from today;
the desk library's registration fee, if any, is charged as a fee owned by that library.
"""

from __future__ import annotations

from datetime import date, timedelta

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from network_common.errors import Conflict, Forbidden, InvalidInput, NotFound
from network_common.tokens import Principal
from network_common.vocabulary import FeeType

from ...domain.letters import Letter, letter_owner_library
from ...domain.visibility import may_manage_library
from ...domain.vocabulary import RegistrationRoleScope, UserKind
from ...store.models import Desk, Library, PatronRole, User
from ..circulation import common
from ..fees import add_fee
from ..notifications import send_letter
from .users import PatronRoleView


async def register_patron(
    session: AsyncSession,
    *,
    actor: Principal,
    desk_code: str,
    primary_id: str,
    first_name: str,
    last_name: str,
    email: str | None,
    user_group: str | None,
) -> User:
    """Create a patron at a desk under the registration rules; commits."""
    desk = await common.desk_for(session, actor=actor, desk_code=desk_code)
    if not primary_id.strip() or not (first_name.strip() or last_name.strip()):
        raise InvalidInput("A primary id and a name are required")
    common.fit_columns(
        User,
        primary_id=primary_id.strip(),
        first_name=first_name.strip(),
        last_name=last_name.strip(),
        email=email,
        user_group=user_group,
    )
    facts = await common.facts(session)
    if await session.scalar(select(User.id).where(User.primary_id == primary_id)) is not None:
        raise Conflict(f"A user with primary id {primary_id} already exists")
    today = common.now().date()
    expiry = today + timedelta(days=facts.registration_role_days)
    patron = User(
        primary_id=primary_id.strip(),
        kind=UserKind.PATRON.value,
        first_name=first_name.strip(),
        last_name=last_name.strip(),
        email=email,
        user_group=user_group,
        expiry_date=expiry,
        created_at=common.now(),
    )
    session.add(patron)
    try:
        await session.flush()
    except IntegrityError as exc:
        raise Conflict(f"A user with primary id {primary_id} already exists") from exc
    await register_at_desk(session, user=patron, desk=desk, expiry_cap=None)
    await session.commit()
    return patron


async def register_at_desk(
    session: AsyncSession, *, user: User, desk: Desk, expiry_cap: date | None
) -> PatronRole:
    """The desk's registration rules for a new patron record (no commit): the role (scoped
    to the desk's library under ``registration_role_scope`` LIBRARY), expiring after
    ``registration_role_days`` or at ``expiry_cap`` if sooner, the desk library's
    registration fee and the Registration letter (owned by the desk's library). Desk
    registrations and walk-in registrations of other members' patrons share it."""
    facts = await common.facts(session)
    expiry = common.now().date() + timedelta(days=facts.registration_role_days)
    if expiry_cap is not None:
        expiry = min(expiry, expiry_cap)
    role_library = (
        desk.library_id if facts.registration_role_scope == RegistrationRoleScope.LIBRARY else None
    )
    role = PatronRole(user_id=user.id, library_id=role_library, expiry_date=expiry)
    session.add(role)
    library = await session.get_one(Library, desk.library_id)
    fee_text = ""
    if library.registration_fee_minor:
        await add_fee(
            session,
            user_id=user.id,
            fee_type=FeeType.REGISTRATION,
            owner_library_id=library.id,
            currency=facts.currency,
            amount_minor=library.registration_fee_minor,
            comment=f"Registration at {desk.code}",
        )
        fee_text = " A registration fee was charged."
    await send_letter(
        session,
        user_id=user.id,
        letter=Letter.REGISTRATION,
        owner_library_id=letter_owner_library(Letter.REGISTRATION, desk_library=desk.library_id),
        subject=f"Welcome to {library.name}",
        body=f"You are registered until {expiry:%Y-%m-%d}.{fee_text}",
    )
    await session.flush()
    return role


async def renew_patron_role(
    session: AsyncSession, *, actor: Principal, role_id: int, new_expiry: date | None
) -> PatronRoleView:
    """Extend a patron role (to ``new_expiry`` or by ``registration_role_days``); only for
    libraries in the operator's scope under FULL/PARTIAL."""
    scope = common.acting_scope(actor, common.RECORD_ROLES)
    facts = await common.facts(session)
    role = await session.scalar(
        select(PatronRole).where(PatronRole.id == role_id).with_for_update()
    )
    if role is None:
        raise NotFound("No such patron role")
    if not may_manage_library(facts.model, scope, role.library_id):
        raise Forbidden("This role belongs to a library outside your scope")
    today = common.now().date()
    target = new_expiry or today + timedelta(days=facts.registration_role_days)
    if target < today:
        raise InvalidInput("The new expiry date is in the past")
    role.expiry_date = target
    await session.commit()
    return await role_view(session, role)


async def role_view(session: AsyncSession, role: PatronRole) -> PatronRoleView:
    """A patron role with its library code, for answers."""
    code = None
    if role.library_id is not None:
        code = await session.scalar(select(Library.code).where(Library.id == role.library_id))
    return PatronRoleView(id=role.id, library=code, expiry_date=role.expiry_date)
