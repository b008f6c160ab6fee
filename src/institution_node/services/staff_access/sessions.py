"""Is a verified token's operator (or client key) still allowed? Checked on every request.

Tokens are stateless JWTs, so a disabled operator, a revoked API key or ended sessions
would otherwise stay usable until the token expires. One indexed read per request (primary
key of ``user_account`` plus ``staff_login``, unique ``api_key.key_id``) closes that gap;
bench/README.md gives its cost.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from network_common.errors import Unauthenticated
from network_common.tokens import Principal
from network_common.vocabulary import PrincipalKind

from ...domain.vocabulary import UserKind
from ...store.models import ApiKey, StaffLogin, User

ENDED = "The session has ended (credentials revoked or account disabled); sign in again"


async def ensure_active(session: AsyncSession, *, principal: Principal) -> None:
    """Raise Unauthenticated when the token's operator or API key may no longer act."""
    if principal.kind == PrincipalKind.STAFF:
        if principal.user_id is None:
            raise Unauthenticated(ENDED)
        query = (
            select(User.kind, StaffLogin.disabled, StaffLogin.session_epoch, ApiKey.revoked)
            .select_from(User)
            .outerjoin(StaffLogin, StaffLogin.user_id == User.id)
            .outerjoin(
                ApiKey,
                (ApiKey.key_id == principal.api_key_id) & (ApiKey.user_id == User.id),
            )
            .where(User.id == principal.user_id)
        )
        row = (await session.execute(query)).first()
        if row is None or row.kind != UserKind.STAFF or row.disabled:
            raise Unauthenticated(ENDED)
        if (row.session_epoch or 0) != principal.session_epoch:
            raise Unauthenticated(ENDED)
        if principal.api_key_id is not None and row.revoked is not False:
            raise Unauthenticated(ENDED)
    elif principal.kind == PrincipalKind.DISCOVERY and principal.api_key_id is not None:
        revoked = await session.scalar(
            select(ApiKey.revoked).where(ApiKey.key_id == principal.api_key_id)
        )
        if revoked is not False:
            raise Unauthenticated(ENDED)


@dataclass(frozen=True, slots=True)
class EndedSessions:
    """What the hub needs to refuse this node's tokens at once too (docs/NETWORK.md)."""

    #: API keys revoked since ``since`` (older revocations outlived every token they made).
    revoked_key_ids: tuple[str, ...]
    #: (user id, current session epoch, disabled) of staff whose tokens may have ended.
    staff: tuple[tuple[int, int, bool], ...]


async def ended_sessions(session: AsyncSession, *, since: datetime) -> EndedSessions:
    """Revoked keys and disabled or re-epoched staff, for the hub's caller checks."""
    keys = await session.scalars(
        select(ApiKey.key_id)
        .where(ApiKey.revoked.is_(True))
        .where(or_(ApiKey.revoked_at.is_(None), ApiKey.revoked_at >= since))
        .order_by(ApiKey.key_id)
    )
    staff = await session.execute(
        select(StaffLogin.user_id, StaffLogin.session_epoch, StaffLogin.disabled)
        .where(or_(StaffLogin.disabled.is_(True), StaffLogin.session_epoch > 0))
        .order_by(StaffLogin.user_id)
    )
    return EndedSessions(
        revoked_key_ids=tuple(keys),
        staff=tuple((r.user_id, r.session_epoch, bool(r.disabled)) for r in staff),
    )
