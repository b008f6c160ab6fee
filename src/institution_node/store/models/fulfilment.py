"""Fulfilment rules (terms of use), owned by the institution or a library (DOMAIN §2).

Criteria lists are JSON arrays (empty: any); library criteria hold library ids. Amounts
are integer minor units of the institution currency. See ``domain/fulfilment.py``.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, Boolean, ForeignKey, Index, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from network_common.models_base import Base, UtcDateTime, utcnow


class FulfilmentRule(Base):
    __tablename__ = "fulfilment_rule"
    __table_args__ = (Index("ix_fulfilment_rule_owner_position", "owner_library_id", "position"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    # None: the institution's rule (tried after the item library's own rules).
    owner_library_id: Mapped[int | None] = mapped_column(ForeignKey("library.id"))
    position: Mapped[int] = mapped_column(Integer, default=0)
    name: Mapped[str] = mapped_column(String(128))
    # Criteria
    user_groups: Mapped[list[str]] = mapped_column(JSON, default=list)
    network_patrons: Mapped[bool | None] = mapped_column(Boolean)
    stat_categories: Mapped[list[Any]] = mapped_column(JSON, default=list)  # [[cat, value]]
    library_ids: Mapped[list[int]] = mapped_column(JSON, default=list)
    locations: Mapped[list[str]] = mapped_column(JSON, default=list)
    item_policies: Mapped[list[str]] = mapped_column(JSON, default=list)
    # Terms
    loanable: Mapped[bool] = mapped_column(Boolean, default=True)
    loan_period_days: Mapped[int] = mapped_column(Integer, default=28)
    renewals_allowed: Mapped[int] = mapped_column(Integer, default=2)
    renewal_period_days: Mapped[int] = mapped_column(Integer, default=28)
    requestable: Mapped[bool] = mapped_column(Boolean, default=True)
    pickup_allowed: Mapped[bool] = mapped_column(Boolean, default=True)
    hold_shelf_days: Mapped[int | None] = mapped_column(Integer)
    fine_per_day_minor: Mapped[int] = mapped_column(Integer, default=0)
    fine_grace_days: Mapped[int] = mapped_column(Integer, default=0)
    fine_max_minor: Mapped[int | None] = mapped_column(Integer)
    lost_after_days_overdue: Mapped[int | None] = mapped_column(Integer)
    lost_replacement_fee_minor: Mapped[int] = mapped_column(Integer, default=0)
    lost_processing_fee_minor: Mapped[int] = mapped_column(Integer, default=0)
    lost_fee_refunded: Mapped[bool] = mapped_column(Boolean, default=True)
    version: Mapped[int] = mapped_column(Integer, default=1)
    updated_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow, onupdate=utcnow)
