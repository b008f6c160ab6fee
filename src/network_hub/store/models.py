"""Hub tables. The hub is never the source of truth for loans, requests or fees (DOMAIN §1):
it only remembers where a patron's linked accounts are, and the answers to brokered writes."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Index, MetaData, String, Text, UniqueConstraint
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

from network_common.jobs import job_run_table
from network_common.models_base import NAMING, UtcDateTime, utcnow


class HubBase(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING)


#: The scheduler's record of each job's last run, shared by the hub replicas.
JOB_RUN = job_run_table(HubBase.metadata)


class LinkedAccountIndex(HubBase):
    """One member's linked account for a patron identity (NETWORK.md, the hub's index)."""

    __tablename__ = "linked_account_index"
    __table_args__ = (
        UniqueConstraint("member_code", "home_institution", "home_user_id", name="uq_index_link"),
        Index("ix_index_identity", "home_institution", "home_user_id"),
        Index("ix_index_local", "member_code", "local_primary_id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    member_code: Mapped[str] = mapped_column(String(64))
    home_institution: Mapped[str] = mapped_column(String(64))
    home_user_id: Mapped[str] = mapped_column(String(128))
    network_link_id: Mapped[str] = mapped_column(String(64))
    local_primary_id: Mapped[str] = mapped_column(String(256))
    updated_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow, onupdate=utcnow)


class HubIdempotencyRecord(HubBase):
    """The first answer to a hub-brokered write; a retry with the same key gets it back."""

    __tablename__ = "hub_idempotency_record"

    key: Mapped[str] = mapped_column(String(128), primary_key=True)
    operation: Mapped[str] = mapped_column(String(64))
    payload_hash: Mapped[str] = mapped_column(String(64))
    result: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow)
