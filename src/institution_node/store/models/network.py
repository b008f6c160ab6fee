"""Idempotency records for writes that arrive across institutions."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import String, Text
from sqlalchemy.orm import Mapped, mapped_column

from network_common.models_base import Base, UtcDateTime, utcnow


class IdempotencyRecord(Base):
    """The first answer to a keyed write; a retry with the same key gets it back."""

    __tablename__ = "idempotency_record"

    key: Mapped[str] = mapped_column(String(128), primary_key=True)
    operation: Mapped[str] = mapped_column(String(64))
    payload_hash: Mapped[str] = mapped_column(String(64))
    result: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow)


class LinkChange(Base):
    """One entry of the linked-account change feed the hub polls (docs/NETWORK.md): a linked
    account appeared (``LINKED``) or went away (``UNLINKED``). ``seq`` orders the feed and is
    handed out in commit order (services/network/link_changes.py), so a reader that has seen
    ``seq`` N has seen every change before it."""

    __tablename__ = "link_change"
    # AUTOINCREMENT on SQLite: a sequence number is never handed out twice.
    __table_args__ = {"sqlite_autoincrement": True}

    seq: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[str] = mapped_column(String(16))
    local_primary_id: Mapped[str] = mapped_column(String(128))
    home_institution: Mapped[str] = mapped_column(String(64))
    home_user_id: Mapped[str] = mapped_column(String(128))
    network_link_id: Mapped[str] = mapped_column(String(64))
    changed_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow)
