"""Resource sharing partners and rotas (DOMAIN §8; ``domain/partners.py``)."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Boolean, ForeignKey, Index, Integer, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from network_common.models_base import Base, UtcDateTime, utcnow


class Partner(Base):
    """A library we borrow from or lend to: a network member or an outside library/broker.

    ``agency_type``/``agency_value`` is its ISO 18626 agency id (or NCIP agency id);
    ``endpoint_url`` its ISO 18626 endpoint or NCIP broker URL. Authentication:
    ``NETWORK_TOKEN`` partners sign with the keys at ``jwks_url``; ``SHARED_SECRET``
    partners present a secret whose SHA-256 is ``inbound_secret_hash``, and we present
    ``outbound_secret`` in the ``outbound_header`` (``authorization``: as a bearer token).
    """

    __tablename__ = "rs_partner"
    __table_args__ = (
        UniqueConstraint("agency_type", "agency_value", name="uq_rs_partner_agency"),
        Index("ix_rs_partner_inbound_secret", "inbound_secret_hash", unique=True),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(64), unique=True)
    name: Mapped[str] = mapped_column(String(255))
    origin: Mapped[str] = mapped_column(String(16))  # PartnerOrigin
    protocol: Mapped[str] = mapped_column(String(16))  # PartnerProtocol
    agency_type: Mapped[str] = mapped_column(String(64))
    agency_value: Mapped[str] = mapped_column(String(128))
    endpoint_url: Mapped[str | None] = mapped_column(String(512))
    auth_kind: Mapped[str] = mapped_column(String(16))  # PartnerAuth
    jwks_url: Mapped[str | None] = mapped_column(String(512))
    inbound_secret_hash: Mapped[str | None] = mapped_column(String(64))
    outbound_secret: Mapped[str | None] = mapped_column(String(512))
    outbound_header: Mapped[str] = mapped_column(String(64), default="authorization")
    #: NCIP brokers: the application profile their messages name.
    ncip_application_profile: Mapped[str | None] = mapped_column(String(128))
    #: The library that works this partner's lending requests (None: the item's owner).
    lending_library_id: Mapped[int | None] = mapped_column(ForeignKey("library.id"))
    #: The patron record standing for this partner's institution (what we lend is loaned
    #: to it), made on first need.
    user_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"))
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow, onupdate=utcnow)


class Rota(Base):
    """An ordered list of partners to ask in turn; at most one is the default."""

    __tablename__ = "rs_rota"

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(64), unique=True)
    name: Mapped[str] = mapped_column(String(255))
    is_default: Mapped[bool] = mapped_column(Boolean, default=False)


class RotaEntry(Base):
    __tablename__ = "rs_rota_entry"

    rota_id: Mapped[int] = mapped_column(
        ForeignKey("rs_rota.id", ondelete="CASCADE"), primary_key=True
    )
    position: Mapped[int] = mapped_column(Integer, primary_key=True)
    partner_id: Mapped[int] = mapped_column(ForeignKey("rs_partner.id"), index=True)
