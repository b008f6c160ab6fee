"""Loans, fees and fee transactions (amounts in integer minor units: exact)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, Boolean, ForeignKey, Index, Integer, String, Text, text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from network_common.models_base import Base, UtcDateTime, utcnow


class Loan(Base):
    __tablename__ = "loan"
    __table_args__ = (
        # At most one active loan per item, enforced by the database on both backends.
        Index(
            "uq_loan_active_item",
            "item_id",
            unique=True,
            sqlite_where=text("status = 'ACTIVE'"),
            postgresql_where=text("status = 'ACTIVE'"),
        ),
        Index("ix_loan_user_status", "user_id", "status"),
        # The overdue, notice and lost jobs walk active loans by due date / lost moment.
        Index("ix_loan_status_due", "status", "due_at"),
        Index("ix_loan_status_lost_at", "status", "lost_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    item_id: Mapped[int] = mapped_column(ForeignKey("item.id"))
    user_id: Mapped[int] = mapped_column(ForeignKey("user_account.id"))
    owning_library_id: Mapped[int] = mapped_column(ForeignKey("library.id"))
    # Desk/library where it was loaned; for pickup at another member these are that member's
    # codes (loan_institution) and the local desk/library columns stay empty.
    loan_desk_id: Mapped[int | None] = mapped_column(ForeignKey("desk.id"))
    loan_library_id: Mapped[int | None] = mapped_column(ForeignKey("library.id"))
    loan_institution: Mapped[str | None] = mapped_column(String(64))
    loan_location_label: Mapped[str | None] = mapped_column(String(255))
    # At another member: its desk and library codes as it named them (DOMAIN §6.5: the
    # loan's desk and library are the pickup member's); local loans use the ids above.
    loan_desk_code: Mapped[str | None] = mapped_column(String(64))
    loan_library_code: Mapped[str | None] = mapped_column(String(64))
    loaned_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow)
    due_at: Mapped[datetime] = mapped_column(UtcDateTime)
    renewals: Mapped[int] = mapped_column(Integer, default=0)
    status: Mapped[str] = mapped_column(String(16), default="ACTIVE")
    returned_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
    return_desk_id: Mapped[int | None] = mapped_column(ForeignKey("desk.id"))
    return_library_id: Mapped[int | None] = mapped_column(ForeignKey("library.id"))
    return_institution: Mapped[str | None] = mapped_column(String(64))
    # Returned at another member (return anywhere): its desk and library codes.
    return_desk_code: Mapped[str | None] = mapped_column(String(64))
    return_library_code: Mapped[str | None] = mapped_column(String(64))
    # The staff session (token) that made the loan / the return (DOMAIN §7 FULL exception).
    session_id: Mapped[str | None] = mapped_column(String(64))
    return_session_id: Mapped[str | None] = mapped_column(String(64))
    request_id: Mapped[int | None] = mapped_column(ForeignKey("request.id"))
    # The terms of use the loan was made under (``domain.fulfilment.Terms.to_dict``; None
    # for loans made before fulfilment rules existed: the item's policy, no fines) and the
    # rule that gave them (kept as a plain id: a deleted rule leaves its loans' terms).
    rule_id: Mapped[int | None] = mapped_column(Integer)
    terms: Mapped[dict[str, Any] | None] = mapped_column(JSON(none_as_null=True))
    # When the loan counts as lost by its terms (due date + lost after N days overdue).
    lost_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
    courtesy_sent_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
    overdue_sent_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
    declared_lost_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
    version: Mapped[int] = mapped_column(Integer, default=1)


class Fee(Base):
    __tablename__ = "fee"
    __table_args__ = (
        Index("ix_fee_user_status", "user_id", "status"),
        Index("ix_fee_loan", "loan_id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("user_account.id"))
    fee_type: Mapped[str] = mapped_column(String(32))
    # None: owned by the institution.
    owner_library_id: Mapped[int | None] = mapped_column(ForeignKey("library.id"))
    currency: Mapped[str] = mapped_column(String(3))
    original_minor: Mapped[int] = mapped_column(Integer)
    balance_minor: Mapped[int] = mapped_column(Integer)
    status: Mapped[str] = mapped_column(String(16), default="OPEN")
    comment: Mapped[str | None] = mapped_column(Text)
    loan_id: Mapped[int | None] = mapped_column(ForeignKey("loan.id"))
    # An overdue fine still growing with its open loan; final (False) once the item is
    # returned, renewed, declared lost, or the fine was waived in full.
    accruing: Mapped[bool] = mapped_column(Boolean, default=False)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow)
    version: Mapped[int] = mapped_column(Integer, default=1)

    transactions: Mapped[list[FeeTransaction]] = relationship(
        lazy="raise", order_by="FeeTransaction.id"
    )


class FeeTransaction(Base):
    __tablename__ = "fee_transaction"

    id: Mapped[int] = mapped_column(primary_key=True)
    fee_id: Mapped[int] = mapped_column(ForeignKey("fee.id"), index=True)
    kind: Mapped[str] = mapped_column(String(16))
    amount_minor: Mapped[int] = mapped_column(Integer)
    desk_id: Mapped[int | None] = mapped_column(ForeignKey("desk.id"))
    operator_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"))
    note: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow)
