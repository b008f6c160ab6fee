"""Institution, libraries, desks, users, roles and API keys."""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import (
    JSON,
    Boolean,
    Date,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from network_common.models_base import Base, UtcDateTime, utcnow


class Institution(Base):
    """The single row describing this node's institution and its settings (DOMAIN §2)."""

    __tablename__ = "institution"

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(64), unique=True)
    name: Mapped[str] = mapped_column(String(255))
    reply_to_email: Mapped[str | None] = mapped_column(String(255))
    currency: Mapped[str] = mapped_column(String(3), default="USD")
    uresolver_remote_register: Mapped[str] = mapped_column(String(16), default="NONE")
    fulfillment_independence_model: Mapped[str] = mapped_column(String(16), default="NONE")
    limit_user_search_by_library_scope: Mapped[bool] = mapped_column(Boolean, default=False)
    separate_patron_notifications_by_library: Mapped[bool] = mapped_column(Boolean, default=False)
    network_availability_display: Mapped[str] = mapped_column(String(24), default="HOLDINGS")
    cross_consortia_identifiers: Mapped[bool] = mapped_column(Boolean, default=False)
    pickup_anywhere: Mapped[list[str]] = mapped_column(JSON, default=list)
    return_anywhere: Mapped[bool] = mapped_column(Boolean, default=False)
    hold_shelf_days: Mapped[int] = mapped_column(Integer, default=7)
    # Courtesy notices go out for loans due within this many days (0: none).
    courtesy_notice_days: Mapped[int] = mapped_column(Integer, default=2)
    # Desk registration (DOMAIN §3): "LIBRARY" scopes the new patron's role to the desk's
    # library, "INSTITUTION" makes it institution-wide.
    registration_role_scope: Mapped[str] = mapped_column(String(16), default="INSTITUTION")
    registration_role_days: Mapped[int] = mapped_column(Integer, default=365)
    updated_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow, onupdate=utcnow)


class Library(Base):
    __tablename__ = "library"

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(64), unique=True)
    name: Mapped[str] = mapped_column(String(255))
    reply_to_email: Mapped[str | None] = mapped_column(String(255))
    # Charged (in minor units of the institution currency) when a desk of this library
    # registers a patron; None/0 means no fee.
    registration_fee_minor: Mapped[int | None] = mapped_column(Integer)

    desks: Mapped[list[Desk]] = relationship(back_populates="library", lazy="raise")


class Desk(Base):
    __tablename__ = "desk"

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(64), unique=True)
    name: Mapped[str] = mapped_column(String(255))
    library_id: Mapped[int] = mapped_column(ForeignKey("library.id"), index=True)
    is_pickup_point: Mapped[bool] = mapped_column(Boolean, default=False)

    library: Mapped[Library] = relationship(back_populates="desks", lazy="raise")


class User(Base):
    """A patron or a staff member. A *linked account* is a patron whose home is elsewhere:
    it carries the source institution code, source user id and network link id."""

    __tablename__ = "user_account"
    __table_args__ = (
        UniqueConstraint("source_institution_code", "source_user_id", name="uq_user_source"),
        Index("ix_user_names", "last_name", "first_name"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    primary_id: Mapped[str] = mapped_column(String(128), unique=True)
    kind: Mapped[str] = mapped_column(String(16), default="PATRON")
    first_name: Mapped[str] = mapped_column(String(128), default="")
    last_name: Mapped[str] = mapped_column(String(128), default="")
    email: Mapped[str | None] = mapped_column(String(255))
    user_group: Mapped[str | None] = mapped_column(String(64))
    expiry_date: Mapped[date | None] = mapped_column(Date)
    address: Mapped[str | None] = mapped_column(Text)
    # Linked accounts only (all three set together):
    source_institution_code: Mapped[str | None] = mapped_column(String(64))
    source_user_id: Mapped[str | None] = mapped_column(String(128))
    network_link_id: Mapped[str | None] = mapped_column(String(64), unique=True)
    link_origin: Mapped[str | None] = mapped_column(String(16))
    refreshed_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow)

    patron_roles: Mapped[list[PatronRole]] = relationship(back_populates="user", lazy="raise")
    staff_roles: Mapped[list[StaffRole]] = relationship(back_populates="user", lazy="raise")

    @property
    def is_linked(self) -> bool:
        return self.source_institution_code is not None


class PatronRole(Base):
    __tablename__ = "patron_role"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(
        ForeignKey("user_account.id", ondelete="CASCADE"), index=True
    )
    library_id: Mapped[int | None] = mapped_column(ForeignKey("library.id"), index=True)
    expiry_date: Mapped[date | None] = mapped_column(Date)

    user: Mapped[User] = relationship(back_populates="patron_roles", lazy="raise")


class StaffRole(Base):
    """A staff role scoped to the institution (``institution_wide``) or to listed libraries."""

    __tablename__ = "staff_role"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(
        ForeignKey("user_account.id", ondelete="CASCADE"), index=True
    )
    role: Mapped[str] = mapped_column(String(48))
    institution_wide: Mapped[bool] = mapped_column(Boolean, default=False)
    consortial_services: Mapped[bool] = mapped_column(Boolean, default=False)

    user: Mapped[User] = relationship(back_populates="staff_roles", lazy="raise")
    libraries: Mapped[list[StaffRoleLibrary]] = relationship(
        lazy="raise", cascade="all, delete-orphan"
    )


class StaffRoleLibrary(Base):
    __tablename__ = "staff_role_library"

    staff_role_id: Mapped[int] = mapped_column(
        ForeignKey("staff_role.id", ondelete="CASCADE"), primary_key=True
    )
    library_id: Mapped[int] = mapped_column(ForeignKey("library.id"), primary_key=True)


class ApiKey(Base):
    """An operator's (or trusted client's) API key; only a SHA-256 digest is stored.

    ``kind`` is ``STAFF`` (exchanged for an operator token) or ``DISCOVERY`` (a trusted
    discovery client that may ask for patron tokens).
    """

    __tablename__ = "api_key"

    id: Mapped[int] = mapped_column(primary_key=True)
    key_id: Mapped[str] = mapped_column(String(32), unique=True)
    key_hash: Mapped[str] = mapped_column(String(128))
    kind: Mapped[str] = mapped_column(String(16), default="STAFF")
    user_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id", ondelete="CASCADE"))
    label: Mapped[str] = mapped_column(String(255), default="")
    revoked: Mapped[bool] = mapped_column(Boolean, default=False)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow)
    revoked_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
    last_used_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
