"""Staff sign-in with a password, with lockout and exponential backoff.

After ``max_failures`` consecutive wrong passwords the account is locked for
``lockout_seconds``; every further failure once a lock has expired doubles it, up to
``lockout_max_seconds``. While locked, attempts are refused without checking the password
(and do not count). A correct password resets the count. Unknown users, users without a
password and wrong passwords all get the same answer, after the same argon2 work.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession

from network_common.errors import AccountLocked, Unauthenticated
from network_common.keys import SigningKey
from network_common.models_base import utcnow

from ...auth import passwords
from ...domain.vocabulary import UserKind
from ...store.models import StaffLogin, User
from .tokens import issue_staff_token, staff_user

WRONG = "The user name or password is not valid"


@dataclass(frozen=True, slots=True)
class LockoutPolicy:
    max_failures: int = 5
    lockout_seconds: int = 60
    lockout_max_seconds: int = 3600

    def lock_for(self, failures: int) -> int | None:
        """Seconds to lock after ``failures`` consecutive failures (None: not yet)."""
        if failures < self.max_failures:
            return None
        doublings = min(failures - self.max_failures, 30)
        return int(min(self.lockout_seconds * 2**doublings, self.lockout_max_seconds))


async def password_sign_in(
    session: AsyncSession,
    *,
    username: str,
    password: str,
    key: SigningKey,
    institution: str,
    ttl_seconds: int,
    policy: LockoutPolicy,
    now: datetime | None = None,
) -> tuple[str, int]:
    """Check a staff user's password and sign a staff token (one new session)."""
    now = now or utcnow()
    row = (
        await session.execute(
            select(User.id, User.kind, StaffLogin)
            .join(StaffLogin, StaffLogin.user_id == User.id)
            .where(User.primary_id == username)
        )
    ).first()
    login: StaffLogin | None = row.StaffLogin if row and row.kind == UserKind.STAFF else None
    if login is not None and login.locked_until is not None and login.locked_until > now:
        wait = max(1, int((login.locked_until - now).total_seconds() + 0.999))
        raise AccountLocked(
            f"Too many failed sign-ins: this account is locked for {wait} more second(s)",
            retry_after=wait,
        )
    ok = await passwords.verify_async(login.password_hash if login else None, password)
    if login is None:
        raise Unauthenticated(WRONG)
    if not ok:
        await _count_failure(session, login=login, policy=policy, now=now)
        raise Unauthenticated(WRONG)
    user = await staff_user(session, login.user_id)
    if user is None:
        raise Unauthenticated(WRONG)
    token = await issue_staff_token(
        session,
        user=user,
        login=login,
        method="pwd",
        key=key,
        institution=institution,
        ttl_seconds=ttl_seconds,
    )
    assert login.password_hash is not None
    new_hash = None
    if passwords.needs_rehash(login.password_hash):
        new_hash = await passwords.hash_async(password)
    await session.execute(
        update(StaffLogin)
        .where(StaffLogin.user_id == login.user_id)
        .values(
            failed_attempts=0,
            locked_until=None,
            last_sign_in_at=now,
            **({"password_hash": new_hash} if new_hash else {}),
        )
    )
    await session.commit()
    return token


async def _count_failure(
    session: AsyncSession, *, login: StaffLogin, policy: LockoutPolicy, now: datetime
) -> None:
    # Counted in SQL so concurrent guesses cannot overwrite each other's increments.
    failures = await session.scalar(
        update(StaffLogin)
        .where(StaffLogin.user_id == login.user_id)
        .values(failed_attempts=StaffLogin.failed_attempts + 1)
        .returning(StaffLogin.failed_attempts)
    )
    lock = policy.lock_for(int(failures or 0))
    if lock is not None:
        await session.execute(
            update(StaffLogin)
            .where(StaffLogin.user_id == login.user_id)
            .values(locked_until=now + timedelta(seconds=lock))
        )
    await session.commit()


async def oidc_sign_in(
    session: AsyncSession,
    *,
    subject: str,
    key: SigningKey,
    institution: str,
    ttl_seconds: int,
    now: datetime | None = None,
) -> tuple[str, int]:
    """Sign a staff token for the operator tied to the identity provider's ``subject``."""
    login = await session.scalar(select(StaffLogin).where(StaffLogin.oidc_subject == subject))
    user = None if login is None else await staff_user(session, login.user_id)
    if login is None or user is None:
        raise Unauthenticated(
            "This identity-provider account is not tied to a staff user here "
            "(institution-node users set-oidc-subject)"
        )
    token = await issue_staff_token(
        session,
        user=user,
        login=login,
        method="oidc",
        key=key,
        institution=institution,
        ttl_seconds=ttl_seconds,
    )
    await session.execute(
        update(StaffLogin)
        .where(StaffLogin.user_id == login.user_id)
        .values(last_sign_in_at=now or utcnow())
    )
    await session.commit()
    return token
