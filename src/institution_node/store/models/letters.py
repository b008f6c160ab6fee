"""Letter templates: how a library (or the institution) words each letter it owns."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from network_common.models_base import Base, UtcDateTime, utcnow


class LetterTemplate(Base):
    """The subject and body template of one letter type for one owner (None: the
    institution, used for libraries without their own). See ``mail/templates.py``."""

    __tablename__ = "letter_template"
    __table_args__ = (UniqueConstraint("owner_library_id", "letter", name="uq_letter_template"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    owner_library_id: Mapped[int | None] = mapped_column(
        ForeignKey("library.id", ondelete="CASCADE")
    )
    letter: Mapped[str] = mapped_column(String(64))
    subject: Mapped[str] = mapped_column(String(512))
    body: Mapped[str] = mapped_column(Text)
    updated_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow, onupdate=utcnow)
