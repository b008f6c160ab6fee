"""The outbox: messages that must leave the node, written in the event's own transaction.

See ``institution_node.outbox`` for the API and the delivery rules.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, Index, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from network_common.models_base import Base, UtcDateTime, utcnow


class OutboxMessage(Base):
    """One message for one channel (``email``, ``iso18626``, ...) and destination."""

    __tablename__ = "outbox_message"
    __table_args__ = (
        # The delivery loop's scan: open messages oldest first, so a claim reads only the
        # first due rows (an index led by the due time made it sort every pending row).
        Index("ix_outbox_status_id", "status", "id"),
        # "Is an older message of this conversation still open?"
        Index("ix_outbox_ordering", "ordering_key", "status", "id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    channel: Mapped[str] = mapped_column(String(32))
    destination: Mapped[str] = mapped_column(String(512))
    #: Messages sharing a key are delivered one after the other, in ``id`` order.
    ordering_key: Mapped[str | None] = mapped_column(String(255))
    payload: Mapped[dict[str, Any]] = mapped_column(JSON)
    #: PENDING, SENDING (claimed by a runner), SENT, FAILED (given up).
    status: Mapped[str] = mapped_column(String(16), default="PENDING")
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    next_attempt_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow)
    #: While SENDING: until when the claim holds (after it, the send was interrupted).
    claimed_until: Mapped[datetime | None] = mapped_column(UtcDateTime)
    last_error: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow, onupdate=utcnow)
    sent_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
