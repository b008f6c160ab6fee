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


class PrivacyLedgerEntry(HubBase):
    """One crossing of a patron's limited information over a member boundary (DOMAIN §9,
    docs/PRIVACY_LEDGER.md): who (institution, operator), what (fields, from and to which
    member), when and why. Written by the hub as the crossing happens; never updated."""

    __tablename__ = "privacy_ledger"
    __table_args__ = (
        Index("ix_ledger_patron", "patron_institution", "patron_id", "id"),
        Index("ix_ledger_actor", "actor_institution", "actor_id", "kind", "at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow)
    #: A ``network_hub.ledger.LedgerKind``.
    kind: Mapped[str] = mapped_column(String(32))
    #: The patron's home identity (the ledger is theirs).
    patron_institution: Mapped[str] = mapped_column(String(64))
    patron_id: Mapped[str] = mapped_column(String(128))
    #: Who caused it: a member's operator or patron (``actor_kind``), or the hub itself.
    actor_kind: Mapped[str] = mapped_column(String(16))
    actor_institution: Mapped[str] = mapped_column(String(64))
    actor_id: Mapped[str] = mapped_column(String(256))
    #: Where the information came from and where it went.
    from_member: Mapped[str] = mapped_column(String(64))
    to_member: Mapped[str] = mapped_column(String(64))
    #: The fields that crossed, comma-separated (empty: nothing about the patron crossed).
    fields: Mapped[str] = mapped_column(String(512), default="")
    purpose: Mapped[str] = mapped_column(String(256))
    #: ``MATCHED``, ``NO_MATCH`` (a lookup that found nobody still names its target) or
    #: ``REFUSED`` (a lookup over the operator's rate limit, never asked).
    outcome: Mapped[str] = mapped_column(String(16), default="MATCHED")
    #: A walk-in lookup's derived idempotency key: a retry of the same lookup is one entry
    #: (and counts once against the rate limit).
    request_key: Mapped[str | None] = mapped_column(String(64), unique=True)
