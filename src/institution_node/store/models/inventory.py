"""Bibliographic records, holdings and items."""

from __future__ import annotations

from sqlalchemy import Boolean, ForeignKey, Index, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from network_common.models_base import Base


class BibRecord(Base):
    __tablename__ = "bib_record"

    id: Mapped[int] = mapped_column(primary_key=True)
    # The network-wide record id that discovery uses for the same work at every member.
    network_record_id: Mapped[str] = mapped_column(String(128), unique=True)
    title: Mapped[str] = mapped_column(String(512))
    author: Mapped[str | None] = mapped_column(String(255))
    #: Hidden from discovery: the temporary record of a borrowing request (DOMAIN §8).
    suppressed: Mapped[bool] = mapped_column(Boolean, default=False)


class Holding(Base):
    __tablename__ = "holding"
    __table_args__ = (Index("ix_holding_bib_library", "bib_id", "library_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    bib_id: Mapped[int] = mapped_column(ForeignKey("bib_record.id"))
    library_id: Mapped[int] = mapped_column(ForeignKey("library.id"))
    location: Mapped[str] = mapped_column(String(128))
    call_number: Mapped[str | None] = mapped_column(String(128))


class Item(Base):
    """A physical item. ``status`` is kept in step with loans and requests; ``version``
    guards concurrent state changes (optimistic lock)."""

    __tablename__ = "item"
    __table_args__ = (
        Index("ix_item_bib_status", "bib_id", "status"),
        # "Which libraries own a copy of this record?" (request visibility, candidate owners).
        Index("ix_item_bib_library", "bib_id", "library_id"),
        Index("ix_item_library", "library_id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    barcode: Mapped[str] = mapped_column(String(64), unique=True)
    bib_id: Mapped[int] = mapped_column(ForeignKey("bib_record.id"))
    holding_id: Mapped[int] = mapped_column(ForeignKey("holding.id"), index=True)
    library_id: Mapped[int] = mapped_column(ForeignKey("library.id"))
    location: Mapped[str] = mapped_column(String(128))
    # The item policy / material type fulfilment rules match on (e.g. BOOK, DVD, REFERENCE).
    item_policy: Mapped[str | None] = mapped_column(String(64))
    loanable: Mapped[bool] = mapped_column(Boolean, default=True)
    # The item's own policy: the terms when no fulfilment rule matches (domain/fulfilment.py).
    loan_period_days: Mapped[int] = mapped_column(Integer, default=28)
    renewals_allowed: Mapped[int] = mapped_column(Integer, default=2)
    requestable: Mapped[bool] = mapped_column(Boolean, default=True)
    status: Mapped[str] = mapped_column(String(24), default="ON_SHELF")
    # Where an item in transit is heading (a local library), or the pickup member's code
    # when it travels to another institution.
    transit_to_library_id: Mapped[int | None] = mapped_column(ForeignKey("library.id"))
    transit_to_institution: Mapped[str | None] = mapped_column(String(64))
    version: Mapped[int] = mapped_column(Integer, default=1)
    # Terms of use shown to a patron with an account here (Get It, issue 5); minor units of
    # the institution currency, None: no such fee.
    loan_fee_minor: Mapped[int | None] = mapped_column(Integer)
    overdue_fine_per_day_minor: Mapped[int | None] = mapped_column(Integer)
