"""Borrowing and lending requests, their history, and the incoming-message ledger.

State columns follow ``domain/borrowing.py`` and ``domain/lending.py``; ``version`` grows
with every change, and every change locks the row first (``FOR UPDATE`` on PostgreSQL,
the write transaction on SQLite), so two actions on one request cannot both win.
``active_notes`` and ``alerts`` count the request's open notes and alerts (kept in step by
the services) so the lists can facet on them without a join.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

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
from sqlalchemy.orm import Mapped, mapped_column

from network_common.models_base import Base, UtcDateTime, utcnow


class _Bibliographic:
    """What was asked for (book or article), as both sides keep it."""

    title: Mapped[str] = mapped_column(String(512))
    author: Mapped[str | None] = mapped_column(String(255))
    isbn: Mapped[str | None] = mapped_column(String(32))
    issn: Mapped[str | None] = mapped_column(String(32))
    publication_date: Mapped[str | None] = mapped_column(String(32))
    volume: Mapped[str | None] = mapped_column(String(64))
    issue: Mapped[str | None] = mapped_column(String(64))
    pages: Mapped[str | None] = mapped_column(String(64))
    article_title: Mapped[str | None] = mapped_column(String(512))
    article_author: Mapped[str | None] = mapped_column(String(255))
    #: The network-wide record id (the supplier's record id on the wire).
    record_id: Mapped[str | None] = mapped_column(String(128))


class LendingRequest(_Bibliographic, Base):
    """A partner asks us to lend (supplier side)."""

    __tablename__ = "rs_lending_request"
    __table_args__ = (
        UniqueConstraint("partner_id", "partner_request_id", name="uq_rs_lending_partner_request"),
        Index("ix_rs_lending_status", "status", "id"),
        Index("ix_rs_lending_library", "library_id", "status"),
        Index("ix_rs_lending_item_library", "item_library_id", "status"),
        Index("ix_rs_lending_assignee", "assignee_id"),
        Index("ix_rs_lending_reply_by", "status", "reply_by"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    status: Mapped[str] = mapped_column(String(32))
    partner_id: Mapped[int] = mapped_column(ForeignKey("rs_partner.id"))
    #: The borrower's own id for the request (ISO 18626 requestingAgencyRequestId).
    partner_request_id: Mapped[str] = mapped_column(String(128))
    service_type: Mapped[str] = mapped_column(String(16), default="LOAN")
    needed_by: Mapped[date | None] = mapped_column(Date)
    #: The borrower's patron, as far as it told us (its id there and a name).
    patron_reference: Mapped[str | None] = mapped_column(String(128))
    patron_name: Mapped[str | None] = mapped_column(String(255))
    pickup_location: Mapped[str | None] = mapped_column(String(255))
    partner_note: Mapped[str | None] = mapped_column(Text)
    bib_id: Mapped[int | None] = mapped_column(ForeignKey("bib_record.id"))
    item_id: Mapped[int | None] = mapped_column(ForeignKey("item.id"))
    item_library_id: Mapped[int | None] = mapped_column(ForeignKey("library.id"))
    #: The library working the request: the partner's lending library, else the owner of
    #: the item chosen to supply it.
    library_id: Mapped[int | None] = mapped_column(ForeignKey("library.id"))
    #: The hold that brings the chosen item to the shipping desk (the "move request").
    move_request_id: Mapped[int | None] = mapped_column(ForeignKey("request.id"))
    loan_id: Mapped[int | None] = mapped_column(ForeignKey("loan.id"))
    due_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
    renewals: Mapped[int] = mapped_column(Integer, default=0)
    condition_code: Mapped[str | None] = mapped_column(String(64))
    condition_note: Mapped[str | None] = mapped_column(Text)
    reply_by: Mapped[datetime | None] = mapped_column(UtcDateTime)
    unfill_reason: Mapped[str | None] = mapped_column(String(255))
    lost_fee_minor: Mapped[int | None] = mapped_column(Integer)
    overdue_sent_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
    assignee_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"))
    active_notes: Mapped[int] = mapped_column(Integer, default=0)
    alerts: Mapped[int] = mapped_column(Integer, default=0)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow)
    closed_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
    version: Mapped[int] = mapped_column(Integer, default=1)


class History(Base):
    """One line of a request's history: a message in or out, a state change, a note or an
    alert. Notes and alerts stay ``active`` until dismissed; outgoing messages name their
    outbox row (its delivery state)."""

    __tablename__ = "rs_history"
    __table_args__ = (
        Index("ix_rs_history_lending", "lending_request_id", "id"),
        Index("ix_rs_history_borrowing", "borrowing_request_id", "id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    lending_request_id: Mapped[int | None] = mapped_column(
        ForeignKey("rs_lending_request.id", ondelete="CASCADE")
    )
    borrowing_request_id: Mapped[int | None] = mapped_column(
        ForeignKey("rs_borrowing_request.id", ondelete="CASCADE")
    )
    category: Mapped[str] = mapped_column(String(16))  # HistoryCategory
    kind: Mapped[str] = mapped_column(String(64))
    note: Mapped[str | None] = mapped_column(Text)
    from_status: Mapped[str | None] = mapped_column(String(32))
    to_status: Mapped[str | None] = mapped_column(String(32))
    partner_id: Mapped[int | None] = mapped_column(ForeignKey("rs_partner.id"))
    actor: Mapped[str | None] = mapped_column(String(128))
    active: Mapped[bool] = mapped_column(Boolean, default=False)
    outbox_message_id: Mapped[int | None] = mapped_column(Integer)
    payload: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow)


class IncomingMessage(Base):
    """A partner's message we acted on, by the digest of its bytes, with the confirmation we
    answered: the same message again gets the same answer and changes nothing."""

    __tablename__ = "rs_incoming_message"
    __table_args__ = (
        UniqueConstraint("partner_id", "digest", name="uq_rs_incoming_partner_digest"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    partner_id: Mapped[int] = mapped_column(ForeignKey("rs_partner.id"))
    digest: Mapped[str] = mapped_column(String(64))
    confirmation: Mapped[str] = mapped_column(Text, default="")
    received_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow)


class BorrowingRequest(_Bibliographic, Base):
    """We ask partners, along a rota, to lend to one of our patrons (requester side).

    ``rota`` is the ordered list of partner ids for this request and ``rota_position`` the
    one asked now (``partner_id``); ``attempt`` counts the partners asked, so each gets its
    own request id on the wire (``<our code>-<id>-<attempt>``). The temporary bib, holding,
    item and hold request exist from creation until the item goes back to the partner (or
    the request closes without it); their ids are cleared when they are removed.
    """

    __tablename__ = "rs_borrowing_request"
    __table_args__ = (
        Index("ix_rs_borrowing_status", "status", "id"),
        Index("ix_rs_borrowing_library", "library_id", "status"),
        Index("ix_rs_borrowing_pickup", "pickup_library_id", "status"),
        Index("ix_rs_borrowing_partner", "partner_id", "status"),
        Index("ix_rs_borrowing_assignee", "assignee_id"),
        Index("ix_rs_borrowing_patron", "user_id", "status"),
        Index("ix_rs_borrowing_temp_item", "temp_item_id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    status: Mapped[str] = mapped_column(String(32))
    format: Mapped[str] = mapped_column(String(16), default="BOOK")  # BOOK / ARTICLE
    user_id: Mapped[int] = mapped_column(ForeignKey("user_account.id"))
    #: The resource sharing library working the request (it owns the temporary item).
    library_id: Mapped[int] = mapped_column(ForeignKey("library.id"))
    pickup_library_id: Mapped[int] = mapped_column(ForeignKey("library.id"))
    needed_by: Mapped[date | None] = mapped_column(Date)
    patron_note: Mapped[str | None] = mapped_column(Text)
    rota: Mapped[list[int]] = mapped_column(JSON, default=list)
    rota_position: Mapped[int] = mapped_column(Integer, default=-1)
    partner_id: Mapped[int | None] = mapped_column(ForeignKey("rs_partner.id"))
    attempt: Mapped[int] = mapped_column(Integer, default=0)
    #: The partner's own id for the request (ISO 18626 supplyingAgencyRequestId).
    partner_request_id: Mapped[str | None] = mapped_column(String(128))
    temp_bib_id: Mapped[int | None] = mapped_column(ForeignKey("bib_record.id"))
    temp_holding_id: Mapped[int | None] = mapped_column(ForeignKey("holding.id"))
    temp_item_id: Mapped[int | None] = mapped_column(ForeignKey("item.id"))
    hold_request_id: Mapped[int | None] = mapped_column(ForeignKey("request.id"))
    #: The temporary item's barcode (kept after the item is removed) and the partner's.
    item_barcode: Mapped[str | None] = mapped_column(String(64))
    partner_item_id: Mapped[str | None] = mapped_column(String(128))
    shipped_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
    first_due_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
    due_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
    renewals: Mapped[int] = mapped_column(Integer, default=0)
    renewal_wanted_due: Mapped[datetime | None] = mapped_column(UtcDateTime)
    received_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
    loaned_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
    returned_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
    condition_code: Mapped[str | None] = mapped_column(String(64))
    condition_note: Mapped[str | None] = mapped_column(Text)
    cancel_reason: Mapped[str | None] = mapped_column(Text)
    #: What the partner charges for a lost item (minor units of ``lost_fee_currency``).
    lost_fee_minor: Mapped[int | None] = mapped_column(Integer)
    lost_fee_currency: Mapped[str | None] = mapped_column(String(3))
    overdue: Mapped[bool] = mapped_column(Boolean, default=False)
    recalled: Mapped[bool] = mapped_column(Boolean, default=False)
    assignee_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"))
    active_notes: Mapped[int] = mapped_column(Integer, default=0)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow)
    closed_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
    version: Mapped[int] = mapped_column(Integer, default=1)
