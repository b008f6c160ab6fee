"""Staff sign-in state: password hash, identity-provider subject, lockout, disabling.

One row per staff user that has any sign-in state; a staff user without a row signs in
with API keys only, is enabled, and is at session epoch 0.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Boolean, ForeignKey, Integer, String, false
from sqlalchemy.orm import Mapped, mapped_column

from network_common.models_base import Base, UtcDateTime


class StaffLogin(Base):
    __tablename__ = "staff_login"

    user_id: Mapped[int] = mapped_column(
        ForeignKey("user_account.id", ondelete="CASCADE"), primary_key=True
    )
    #: argon2id hash (PHC string) of the password, or None: no password sign-in.
    password_hash: Mapped[str | None] = mapped_column(String(255))
    #: The institution identity provider's ``sub`` for this operator (OpenID Connect).
    oidc_subject: Mapped[str | None] = mapped_column(String(255), unique=True)
    #: A disabled operator cannot sign in, and every token already issued is refused.
    disabled: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())
    #: Tokens carry the epoch they were issued in (``sep``); raising it ends every session.
    session_epoch: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    #: Consecutive failed password sign-ins; reset by a successful one.
    failed_attempts: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    locked_until: Mapped[datetime | None] = mapped_column(UtcDateTime)
    password_changed_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
    last_sign_in_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
