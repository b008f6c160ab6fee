"""Managing staff users and their credentials (the ``institution-node users`` commands)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import selectinload

from network_common.errors import Conflict, InvalidInput, NotFound
from network_common.models_base import utcnow
from network_common.vocabulary import StaffRoleType

from ...auth import passwords
from ...domain.vocabulary import UserKind
from ...store.models import ApiKey, Library, StaffLogin, StaffRole, StaffRoleLibrary, User


@dataclass(frozen=True, slots=True)
class RoleSpec:
    """``ROLE``, ``ROLE@LIB1,LIB2``, optionally ending in ``+cs`` (consortial services)."""

    role: StaffRoleType
    libraries: tuple[str, ...] | None
    consortial_services: bool

    @classmethod
    def parse(cls, text: str) -> RoleSpec:
        body, cs = (text[:-3], True) if text.endswith("+cs") else (text, False)
        name, _, libs = body.partition("@")
        try:
            role = StaffRoleType(name.strip().upper())
        except ValueError:
            known = ", ".join(r.value for r in StaffRoleType)
            raise InvalidInput(f"unknown role {name!r} (one of {known})") from None
        codes = tuple(c.strip() for c in libs.split(",") if c.strip()) if libs else None
        return cls(role=role, libraries=codes, consortial_services=cs)


@dataclass(frozen=True, slots=True)
class StaffUserView:
    primary_id: str
    name: str
    roles: tuple[str, ...]
    disabled: bool
    has_password: bool
    oidc_subject: str | None
    locked_until: datetime | None
    active_keys: int
    last_sign_in_at: datetime | None


async def _staff(session: AsyncSession, primary_id: str) -> User:
    user = await session.scalar(select(User).where(User.primary_id == primary_id))
    if user is None or user.kind != UserKind.STAFF:
        raise NotFound(f"no staff user {primary_id}")
    return user


async def _login(session: AsyncSession, user: User) -> StaffLogin:
    login = await session.get(StaffLogin, user.id)
    if login is None:
        login = StaffLogin(user_id=user.id, disabled=False, session_epoch=0, failed_attempts=0)
        session.add(login)
        await session.flush()
    return login


async def create_staff_user(
    session: AsyncSession,
    *,
    primary_id: str,
    first_name: str,
    last_name: str,
    email: str | None,
    roles: list[RoleSpec],
) -> User:
    """A new staff user with the given roles (no credentials yet)."""
    if not primary_id.strip() or len(primary_id) > 128:
        raise InvalidInput("a user id has 1 to 128 characters")
    if await session.scalar(select(User.id).where(User.primary_id == primary_id)) is not None:
        raise Conflict(f"user {primary_id} already exists")
    if not roles:
        raise InvalidInput("give at least one --role")
    codes = {c for r in roles for c in r.libraries or ()}
    libs = {
        lib.code: lib.id
        for lib in (await session.scalars(select(Library).where(Library.code.in_(codes)))).all()
    }
    if missing := sorted(codes - set(libs)):
        raise InvalidInput(f"unknown library {', '.join(missing)}")
    user = User(
        primary_id=primary_id,
        kind=UserKind.STAFF.value,
        first_name=first_name,
        last_name=last_name,
        email=email,
    )
    session.add(user)
    await session.flush()
    for spec in roles:
        session.add(
            StaffRole(
                user_id=user.id,
                role=spec.role.value,
                institution_wide=spec.libraries is None,
                consortial_services=spec.consortial_services,
                libraries=[StaffRoleLibrary(library_id=libs[c]) for c in spec.libraries or ()],
            )
        )
    await _login(session, user)
    await session.commit()
    return user


async def list_staff_users(session: AsyncSession) -> list[StaffUserView]:
    """Every staff user with roles and the state of their credentials."""
    users = (
        await session.scalars(
            select(User)
            .where(User.kind == UserKind.STAFF)
            .order_by(User.primary_id)
            .options(selectinload(User.staff_roles).selectinload(StaffRole.libraries))
        )
    ).all()
    logins = {x.user_id: x for x in (await session.scalars(select(StaffLogin))).all()}
    lib_codes = {row[0]: row[1] for row in await session.execute(select(Library.id, Library.code))}
    keys: dict[int, int] = {}
    for uid in (
        await session.scalars(
            select(ApiKey.user_id).where(ApiKey.revoked.is_(False), ApiKey.user_id.is_not(None))
        )
    ).all():
        if uid is not None:
            keys[uid] = keys.get(uid, 0) + 1
    views = []
    for u in users:
        login = logins.get(u.id)
        roles = tuple(
            r.role
            + (
                ""
                if r.institution_wide
                else "@" + ",".join(lib_codes[x.library_id] for x in r.libraries)
            )
            + ("+cs" if r.consortial_services else "")
            for r in u.staff_roles
        )
        views.append(
            StaffUserView(
                primary_id=u.primary_id,
                name=f"{u.first_name} {u.last_name}".strip(),
                roles=roles,
                disabled=bool(login and login.disabled),
                has_password=bool(login and login.password_hash),
                oidc_subject=login.oidc_subject if login else None,
                locked_until=login.locked_until if login else None,
                active_keys=keys.get(u.id, 0),
                last_sign_in_at=login.last_sign_in_at if login else None,
            )
        )
    return views


def _codes(role: StaffRole, lib_codes: dict[int, str]) -> list[str]:
    return sorted(lib_codes[x.library_id] for x in role.libraries)


async def set_password(session: AsyncSession, *, primary_id: str, password: str) -> None:
    """Set (or rotate) a staff user's password; ends the user's other sessions and unlocks."""
    user = await _staff(session, primary_id)
    new_hash = await passwords.hash_async(password)
    login = await _login(session, user)
    login.password_hash = new_hash
    login.password_changed_at = utcnow()
    login.failed_attempts = 0
    login.locked_until = None
    login.session_epoch += 1
    await session.commit()


async def revoke_password(session: AsyncSession, *, primary_id: str) -> None:
    """Remove a staff user's password and end the user's sessions."""
    user = await _staff(session, primary_id)
    login = await _login(session, user)
    login.password_hash = None
    login.session_epoch += 1
    await session.commit()


async def set_oidc_subject(session: AsyncSession, *, primary_id: str, subject: str | None) -> None:
    """Tie the operator to the identity provider's ``sub`` (None: untie; ends sessions)."""
    user = await _staff(session, primary_id)
    if subject is not None:
        if not subject.strip() or len(subject) > 255:
            raise InvalidInput("an identity-provider subject has 1 to 255 characters")
        other = await session.scalar(
            select(StaffLogin.user_id).where(
                StaffLogin.oidc_subject == subject, StaffLogin.user_id != user.id
            )
        )
        if other is not None:
            raise Conflict("that identity-provider subject belongs to another staff user")
    login = await _login(session, user)
    login.oidc_subject = subject
    if subject is None:
        login.session_epoch += 1
    await session.commit()


async def set_disabled(session: AsyncSession, *, primary_id: str, disabled: bool) -> None:
    """Disable (every token refused at once, no sign-in) or enable a staff user."""
    user = await _staff(session, primary_id)
    login = await _login(session, user)
    login.disabled = disabled
    await session.commit()


async def end_sessions(session: AsyncSession, *, primary_id: str) -> None:
    """Refuse every token issued to the user so far."""
    user = await _staff(session, primary_id)
    await _login(session, user)
    await session.execute(
        update(StaffLogin)
        .where(StaffLogin.user_id == user.id)
        .values(session_epoch=StaffLogin.session_epoch + 1)
    )
    await session.commit()


async def unlock(session: AsyncSession, *, primary_id: str) -> None:
    """Clear a lockout after failed sign-ins."""
    user = await _staff(session, primary_id)
    login = await _login(session, user)
    login.failed_attempts = 0
    login.locked_until = None
    await session.commit()
