"""Linked accounts: local records of other members' patrons (DOMAIN §3, docs/NETWORK.md).

At most one per (source institution, source user): the database's ``uq_user_source``
constraint decides a concurrent creation race, the loser re-reads the winner's row.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import asdict, dataclass
from datetime import date
from typing import Any

from sqlalchemy import and_, delete, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from network_common.errors import Conflict, ErrorCode, Forbidden, InvalidInput, NotFound
from network_common.models_base import utcnow
from network_common.tokens import Principal
from network_common.vocabulary import (
    USER_ROLES,
    LinkChangeKind,
    LinkOrigin,
    LoanStatus,
    RemoteRegister,
)

from ...domain.requests import ACTIVE as ACTIVE_REQUESTS
from ...domain.vocabulary import FeeStatus, UserKind
from ...store.models import Desk, Fee, Loan, PatronRole, Request, User
from ..idempotency import run_idempotent
from ..institution import get_institution
from ..patrons.registration import register_at_desk
from . import link_changes

MAX_NAME = 128
MAX_HOME_CODE = 64
MAX_EMAIL = 255
MAX_GROUP = 64


@dataclass(frozen=True, slots=True)
class HomeRecord:
    """The limited information about a patron that crosses institutions (DOMAIN §1)."""

    home_institution: str
    home_user_id: str
    first_name: str
    last_name: str
    email: str | None
    user_group: str | None
    expiry_date: date | None


@dataclass(frozen=True, slots=True)
class LinkedAccount:
    local_primary_id: str
    home_institution: str
    home_user_id: str
    network_link_id: str
    first_name: str
    last_name: str
    email: str | None
    user_group: str | None
    expiry_date: date | None
    origin: str | None

    @classmethod
    def from_row(cls, row: User) -> LinkedAccount:
        return cls(
            local_primary_id=row.primary_id,
            home_institution=row.source_institution_code or "",
            home_user_id=row.source_user_id or "",
            network_link_id=row.network_link_id or "",
            first_name=row.first_name,
            last_name=row.last_name,
            email=row.email,
            user_group=row.user_group,
            expiry_date=row.expiry_date,
            origin=row.link_origin,
        )

    def to_dict(self) -> dict[str, Any]:
        data = asdict(self)
        data["expiry_date"] = self.expiry_date.isoformat() if self.expiry_date else None
        return data

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> LinkedAccount:
        expiry = data.get("expiry_date")
        return cls(**{**data, "expiry_date": date.fromisoformat(expiry) if expiry else None})


def local_primary_id(home_institution: str, home_user_id: str) -> str:
    return f"{home_institution}:{home_user_id}"


def _validate(record: HomeRecord, own_code: str) -> None:
    if not record.home_institution.strip() or not record.home_user_id.strip():
        raise InvalidInput("homeInstitution and homeUserId are required")
    if record.home_institution == own_code:
        raise InvalidInput("A patron of this institution cannot have a linked account here")
    if len(local_primary_id(record.home_institution, record.home_user_id)) > 128:
        raise InvalidInput("homeInstitution and homeUserId are too long")
    if len(record.first_name) > MAX_NAME or len(record.last_name) > MAX_NAME:
        raise InvalidInput(f"Names are limited to {MAX_NAME} characters")
    # The columns' own limits, so that too long a value is a clear refusal on every database.
    if len(record.home_institution) > MAX_HOME_CODE:
        raise InvalidInput(f"homeInstitution is limited to {MAX_HOME_CODE} characters")
    if len(record.email or "") > MAX_EMAIL or len(record.user_group or "") > MAX_GROUP:
        raise InvalidInput(
            f"email and userGroup are limited to {MAX_EMAIL} and {MAX_GROUP} characters"
        )


async def ensure_linked_account(
    session: AsyncSession,
    *,
    patron: HomeRecord,
    origin: LinkOrigin,
    idempotency_key: str,
    desk_code: str | None = None,
) -> LinkedAccount:
    """Create the patron's linked account here once, or refresh the existing one. A
    walk-in names the registering ``desk_code``: its registration rules apply."""
    payload = {**asdict(patron), "origin": origin.value, "desk": desk_code}

    async def action() -> dict[str, Any]:
        account = await ensure_in_session(
            session, patron=patron, origin=origin, desk_code=desk_code
        )
        return account.to_dict()

    async def still_linked(stored: dict[str, Any]) -> bool:
        # A replay must not answer an account the member's staff deleted since (DOMAIN §3):
        # then the patron gets a new one at once.
        found = await session.scalar(
            select(User.id).where(User.network_link_id == stored.get("network_link_id"))
        )
        return found is not None

    result = await run_idempotent(
        session,
        key=idempotency_key,
        operation="ensureLinkedAccount",
        payload=payload,
        action=action,
        still_true=still_linked,
    )
    return LinkedAccount.from_dict(result)


async def ensure_in_session(
    session: AsyncSession,
    *,
    patron: HomeRecord,
    origin: LinkOrigin,
    desk_code: str | None = None,
) -> LinkedAccount:
    """Create or refresh the linked account inside the caller's transaction (no commit).

    A walk-in (``origin`` WALK_IN) is a desk registration: ``desk_code`` is required and a
    new account gets the desk's registration rules (DOMAIN §3) — a role scoped to the
    desk's library under ``registration_role_scope`` LIBRARY, expiring after
    ``registration_role_days`` (never after the home record's expiry), and the desk
    library's registration fee with the Registration letter. An account that already
    exists is only refreshed."""
    desk = None
    if origin is LinkOrigin.WALK_IN:
        if not desk_code:
            raise InvalidInput("A walk-in registration names the registering desk")
        desk = await session.scalar(select(Desk).where(Desk.code == desk_code))
        if desk is None:
            raise NotFound(f"No desk {desk_code}")
    institution = await get_institution(session)
    # DOMAIN §3: never under NONE, except a walk-in registered by this institution's desk.
    if institution.uresolver_remote_register == RemoteRegister.NONE and (
        origin is not LinkOrigin.WALK_IN
    ):
        raise Forbidden(
            f"{institution.name} does not register patrons of other institutions",
            code=ErrorCode.REGISTRATION_DISABLED,
        )
    _validate(patron, institution.code)
    user = await _find(session, patron.home_institution, patron.home_user_id)
    if user is None:
        try:
            async with session.begin_nested():
                user = await _create(session, patron, origin, desk)
        except IntegrityError:
            # A concurrent creation won the unique (source institution, source user) race.
            user = await _find(session, patron.home_institution, patron.home_user_id)
            if user is None:
                raise Conflict("A local record already uses this patron's primary id") from None
            await _refresh(session, user, patron)
    else:
        await _refresh(session, user, patron)
    return LinkedAccount.from_row(user)


async def refresh_linked_account(
    session: AsyncSession, *, patron: HomeRecord, idempotency_key: str
) -> LinkedAccount | None:
    """Refresh an existing linked account from its home record (None when there is none).

    Allowed whatever ``uresolver_remote_register`` says: it creates nothing, and an account
    that exists (e.g. a walk-in's under NONE) must not keep stale information (DOMAIN §3).
    """
    payload = {**asdict(patron), "origin": "REFRESH"}

    async def action() -> dict[str, Any]:
        institution = await get_institution(session)
        _validate(patron, institution.code)
        user = await _find(session, patron.home_institution, patron.home_user_id)
        if user is None:
            return {"account": None}
        await _refresh(session, user, patron)
        return {"account": LinkedAccount.from_row(user).to_dict()}

    result = await run_idempotent(
        session,
        key=idempotency_key,
        operation="refreshLinkedAccount",
        payload=payload,
        action=action,
    )
    found = result.get("account")
    return None if found is None else LinkedAccount.from_dict(found)


async def _find(session: AsyncSession, home: str, home_user_id: str) -> User | None:
    found: User | None = await session.scalar(
        select(User)
        .where(User.source_institution_code == home, User.source_user_id == home_user_id)
        .execution_options(populate_existing=True)
    )
    return found


async def _create(
    session: AsyncSession, patron: HomeRecord, origin: LinkOrigin, desk: Desk | None
) -> User:
    user = User(
        primary_id=local_primary_id(patron.home_institution, patron.home_user_id),
        kind=UserKind.PATRON.value,
        first_name=patron.first_name,
        last_name=patron.last_name,
        email=patron.email,
        user_group=patron.user_group,
        expiry_date=patron.expiry_date,
        source_institution_code=patron.home_institution,
        source_user_id=patron.home_user_id,
        network_link_id=uuid.uuid4().hex,
        link_origin=origin.value,
        refreshed_at=utcnow(),
    )
    session.add(user)
    await session.flush()
    # Every new link is in the change feed the hub polls, walk-ins too.
    await link_changes.record(session, kind=LinkChangeKind.LINKED, user=user)
    if desk is not None:
        await register_at_desk(session, user=user, desk=desk, expiry_cap=patron.expiry_date)
        return user
    # An institution-wide patron role, so the account may request and borrow here.
    session.add(PatronRole(user_id=user.id, library_id=None, expiry_date=patron.expiry_date))
    await session.flush()
    return user


async def refresh_in_session(session: AsyncSession, *, user: User, patron: HomeRecord) -> None:
    """Refresh a linked account found by the caller from its home record (no commit)."""
    _validate(patron, (await get_institution(session)).code)
    await _refresh(session, user, patron)


async def _refresh(session: AsyncSession, user: User, patron: HomeRecord) -> None:
    """The home record is the truth for the limited information (DOMAIN §3)."""
    user.first_name = patron.first_name
    user.last_name = patron.last_name
    user.email = patron.email
    user.user_group = patron.user_group
    user.expiry_date = patron.expiry_date
    user.refreshed_at = utcnow()
    await session.execute(
        update(PatronRole)
        .where(PatronRole.user_id == user.id, PatronRole.library_id.is_(None))
        .values(expiry_date=patron.expiry_date)
    )
    await session.flush()


async def list_linked_accounts(
    session: AsyncSession, *, after: int | None, first: int
) -> tuple[Sequence[LinkedAccount], int | None]:
    """One page of linked accounts by local id; returns the page and the next cursor."""
    if not 1 <= first <= 1000:
        raise InvalidInput("first must be between 1 and 1000")
    query = select(User).where(User.source_institution_code.is_not(None))
    if after is not None:
        query = query.where(User.id > after)
    rows = (await session.scalars(query.order_by(User.id).limit(first + 1))).all()
    page = rows[:first]
    cursor = page[-1].id if len(rows) > first else None
    return [LinkedAccount.from_row(r) for r in page], cursor


async def delete_linked_account(
    session: AsyncSession, *, actor: Principal, primary_id: str
) -> None:
    """Remove a linked account that has no active loans, requests or open fees."""
    if not actor.has_any_role(USER_ROLES):
        raise Forbidden("Your roles do not allow managing user records")
    user = await session.scalar(
        select(User).where(User.primary_id == primary_id, User.source_institution_code.is_not(None))
    )
    if user is None:
        raise NotFound("No such linked account")
    if await _has_activity(session, user.id):
        raise Conflict("The linked account has active loans, requests or open fees")
    # Either way below (deleted, or kept for history without its link) the network loses it.
    await link_changes.record(session, kind=LinkChangeKind.UNLINKED, user=user)
    try:
        async with session.begin_nested():
            await session.execute(delete(PatronRole).where(PatronRole.user_id == user.id))
            await session.execute(delete(User).where(User.id == user.id))
    except IntegrityError:
        # Closed loans or fees still point at the record: keep it for history but cut the
        # link, so the network no longer finds it (and a new link can be made later).
        await session.execute(delete(PatronRole).where(PatronRole.user_id == user.id))
        user.primary_id = f"unlinked-{user.id}"
        user.source_institution_code = None
        user.source_user_id = None
        user.network_link_id = None
    await session.commit()


async def _has_activity(session: AsyncSession, user_id: int) -> bool:
    loan = select(Loan.id).where(and_(Loan.user_id == user_id, Loan.status == LoanStatus.ACTIVE))
    request = select(Request.id).where(
        Request.user_id == user_id, Request.status.in_(sorted(ACTIVE_REQUESTS))
    )
    fee = select(Fee.id).where(Fee.user_id == user_id, Fee.status == FeeStatus.OPEN)
    found = await session.scalar(loan.union_all(request, fee).limit(1))
    return found is not None
