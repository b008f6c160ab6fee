"""Requests: patron holds (title or item level) and non-patron work (transit, work orders)."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, Index, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from network_common.models_base import Base, UtcDateTime, utcnow


class Request(Base):
    """For ``TRANSIT`` requests (an item going home) ``pickup_library_id`` is the destination."""

    __tablename__ = "request"
    __table_args__ = (
        Index("ix_request_status_pickup", "status", "pickup_library_id"),
        Index("ix_request_status_item_library", "status", "item_library_id"),
        Index("ix_request_status_managing", "status", "managing_library_id"),
        Index("ix_request_user", "user_id", "status"),
        Index("ix_request_bib", "bib_id", "status"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[str] = mapped_column(String(24), default="PATRON")  # PATRON/TRANSIT/WORK_ORDER
    level: Mapped[str] = mapped_column(String(8), default="TITLE")  # TITLE/ITEM
    user_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"))
    bib_id: Mapped[int] = mapped_column(ForeignKey("bib_record.id"))
    item_id: Mapped[int | None] = mapped_column(ForeignKey("item.id"))
    # Denormalised owner of the chosen item (kept in step with item_id) for SQL filters.
    item_library_id: Mapped[int | None] = mapped_column(ForeignKey("library.id"))
    pickup_institution: Mapped[str] = mapped_column(String(64))
    pickup_library_id: Mapped[int | None] = mapped_column(ForeignKey("library.id"))
    pickup_library_code: Mapped[str | None] = mapped_column(String(64))
    pickup_library_name: Mapped[str | None] = mapped_column(String(255))
    managing_library_id: Mapped[int | None] = mapped_column(ForeignKey("library.id"))
    status: Mapped[str] = mapped_column(String(24))
    note: Mapped[str | None] = mapped_column(Text)
    cancel_reason: Mapped[str | None] = mapped_column(Text)
    # PATRON / STAFF / SYSTEM (hold-shelf expiry).
    cancelled_by: Mapped[str | None] = mapped_column(String(16))
    placed_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow)
    hold_shelf_expiry: Mapped[datetime | None] = mapped_column(UtcDateTime)
    # When the aggregated On Hold Shelf Reminder covered this request (sent once).
    reminder_sent_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
    closed_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
    version: Mapped[int] = mapped_column(Integer, default=1)
