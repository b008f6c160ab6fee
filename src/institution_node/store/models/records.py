"""Blocks, notes, statistical categories, notifications and attachments.

Each is owned by a library (``owner_library_id``) or by the institution (``None``).
"""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import Date, ForeignKey, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from network_common.models_base import Base, UtcDateTime, utcnow


class Block(Base):
    __tablename__ = "block"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(
        ForeignKey("user_account.id", ondelete="CASCADE"), index=True
    )
    owner_library_id: Mapped[int | None] = mapped_column(ForeignKey("library.id"))
    block_type: Mapped[str] = mapped_column(String(64), default="GENERAL")
    description: Mapped[str] = mapped_column(Text)
    expiry_date: Mapped[date | None] = mapped_column(Date)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow)


class Note(Base):
    __tablename__ = "note"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(
        ForeignKey("user_account.id", ondelete="CASCADE"), index=True
    )
    owner_library_id: Mapped[int | None] = mapped_column(ForeignKey("library.id"))
    text: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow)


class StatCategory(Base):
    __tablename__ = "stat_category"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(
        ForeignKey("user_account.id", ondelete="CASCADE"), index=True
    )
    owner_library_id: Mapped[int | None] = mapped_column(ForeignKey("library.id"))
    category: Mapped[str] = mapped_column(String(64))
    value: Mapped[str] = mapped_column(String(128))


class Notification(Base):
    """A letter sent to a patron; its owner sets reply-to and visibility (DOMAIN §7)."""

    __tablename__ = "notification"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(
        ForeignKey("user_account.id", ondelete="CASCADE"), index=True
    )
    letter: Mapped[str] = mapped_column(String(64))
    owner_library_id: Mapped[int | None] = mapped_column(ForeignKey("library.id"))
    reply_to: Mapped[str | None] = mapped_column(String(255))
    # Letters owned by another member's library (pickup anywhere: Loan Receipt, Return
    # Receipt at the pickup/return member): that member's code and library code.
    sender_institution: Mapped[str | None] = mapped_column(String(64))
    sender_library_code: Mapped[str | None] = mapped_column(String(64))
    subject: Mapped[str] = mapped_column(String(255))
    body: Mapped[str] = mapped_column(Text)
    #: The e-mail carrying this letter (None: the patron has no address, or mail is off).
    outbox_message_id: Mapped[int | None] = mapped_column(ForeignKey("outbox_message.id"))
    created_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow)


class Attachment(Base):
    """A file on the user record; sending a notification files a copy here (same owner)."""

    __tablename__ = "attachment"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(
        ForeignKey("user_account.id", ondelete="CASCADE"), index=True
    )
    owner_library_id: Mapped[int | None] = mapped_column(ForeignKey("library.id"))
    name: Mapped[str] = mapped_column(String(255))
    content_type: Mapped[str] = mapped_column(String(64), default="text/plain")
    content: Mapped[str] = mapped_column(Text, default="")
    notification_id: Mapped[int | None] = mapped_column(ForeignKey("notification.id"))
    created_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow)
