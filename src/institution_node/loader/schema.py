"""The load file's shape. Every field is validated before anything is written."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator

from network_common.vocabulary import (
    AvailabilityDisplay,
    FeeType,
    IndependenceModel,
    RemoteRegister,
    StaffRoleType,
)

from ..domain.vocabulary import UserKind

Code = Field(min_length=1, max_length=64, pattern=r"^[A-Za-z0-9_.\-]+$")


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    @field_validator("*", mode="after")
    @classmethod
    def _no_nul(cls, value: Any) -> Any:
        """The database cannot hold text with NUL characters (PostgreSQL)."""
        texts = value if isinstance(value, list) else [value]
        if any(isinstance(t, str) and "\x00" in t for t in texts):
            raise ValueError("text must not contain NUL characters")
        return value


class SettingsIn(Strict):
    uresolver_remote_register: RemoteRegister = RemoteRegister.NONE
    fulfillment_independence_model: IndependenceModel = IndependenceModel.NONE
    limit_user_search_by_library_scope: bool = False
    separate_patron_notifications_by_library: bool = False
    network_availability_display: AvailabilityDisplay = AvailabilityDisplay.HOLDINGS
    cross_consortia_identifiers: bool = False
    pickup_anywhere: list[str] = []
    return_anywhere: bool = False
    hold_shelf_days: int = Field(default=7, ge=1, le=365)
    courtesy_notice_days: int = Field(default=2, ge=0, le=60)
    registration_role_scope: Literal["LIBRARY", "INSTITUTION"] = "INSTITUTION"
    registration_role_days: int = Field(default=365, ge=1, le=3650)


class InstitutionIn(Strict):
    code: str = Code
    name: str = Field(min_length=1, max_length=255)
    currency: str = Field(default="USD", pattern=r"^[A-Z]{3}$")
    reply_to_email: str | None = Field(default=None, max_length=255)
    settings: SettingsIn = SettingsIn()


class DeskIn(Strict):
    code: str = Code
    name: str = Field(min_length=1, max_length=255)
    pickup_point: bool = False


class LibraryIn(Strict):
    code: str = Code
    name: str = Field(min_length=1, max_length=255)
    reply_to_email: str | None = Field(default=None, max_length=255)
    registration_fee: str | None = None
    desks: list[DeskIn] = []


class PatronRoleIn(Strict):
    library: str | None = None  # None: institution-wide
    expiry_date: date | None = None


class StaffRoleIn(Strict):
    role: StaffRoleType
    libraries: list[str] | None = None  # None: institution-wide
    consortial_services: bool = False


class OwnedIn(Strict):
    owner: str | None = None  # library code; None: the institution


class BlockIn(OwnedIn):
    description: str = Field(min_length=1)
    block_type: str = Field(default="GENERAL", max_length=64)
    expiry_date: date | None = None


class NoteIn(OwnedIn):
    text: str = Field(min_length=1)


class StatCategoryIn(OwnedIn):
    category: str = Field(min_length=1, max_length=64)
    value: str = Field(min_length=1, max_length=128)


class LinkIn(Strict):
    source_institution: str = Code
    source_user_id: str = Field(min_length=1, max_length=128)
    network_link_id: str | None = Field(default=None, min_length=1, max_length=64)


class ApiKeyIn(Strict):
    key: str = Field(min_length=10, description="lfn_<id>_<secret>; stored hashed")
    label: str = Field(default="", max_length=255)


class UserIn(Strict):
    primary_id: str = Field(min_length=1, max_length=128)
    kind: UserKind = UserKind.PATRON
    first_name: str = Field(default="", max_length=128)
    last_name: str = Field(default="", max_length=128)
    email: str | None = Field(default=None, max_length=255)
    user_group: str | None = Field(default=None, max_length=64)
    expiry_date: date | None = None
    address: str | None = None
    patron_roles: list[PatronRoleIn] = []
    staff_roles: list[StaffRoleIn] = []
    api_keys: list[ApiKeyIn] = []
    blocks: list[BlockIn] = []
    notes: list[NoteIn] = []
    stat_categories: list[StatCategoryIn] = []
    linked: LinkIn | None = None


class ClientIn(Strict):
    label: str = Field(min_length=1, max_length=255)
    key: str = Field(min_length=10)


class ItemIn(Strict):
    barcode: str = Field(min_length=1, max_length=64)
    policy: str | None = Field(default=None, min_length=1, max_length=64)
    loanable: bool = True
    requestable: bool = True
    loan_period_days: int = Field(default=28, ge=0, le=3650)
    renewals_allowed: int = Field(default=2, ge=0, le=100)


class HoldingIn(Strict):
    library: str = Code
    location: str = Field(min_length=1, max_length=128)
    call_number: str | None = Field(default=None, max_length=128)
    items: list[ItemIn] = []


class RecordIn(Strict):
    network_record_id: str = Field(min_length=1, max_length=128)
    title: str = Field(min_length=1, max_length=512)
    author: str | None = Field(default=None, max_length=255)
    holdings: list[HoldingIn] = []


class LoanIn(Strict):
    barcode: str
    patron: str
    desk: str
    loaned_at: datetime
    due_at: datetime
    renewals: int = Field(default=0, ge=0, le=100)

    @field_validator("loaned_at", "due_at")
    @classmethod
    def _aware(cls, value: datetime) -> datetime:
        if value.tzinfo is None:
            raise ValueError("give a timezone (e.g. 2026-01-31T12:00:00Z)")
        return value


class FeeIn(Strict):
    patron: str
    type: FeeType
    owner: str | None = None
    amount: str
    balance: str | None = None  # defaults to amount
    comment: str | None = None


class StatMatchIn(Strict):
    category: str = Field(min_length=1, max_length=64)
    value: str = Field(min_length=1, max_length=128)


class RuleIn(Strict):
    """A fulfilment rule (terms of use); see docs/FULFILMENT_RULES.md. Amounts are decimal
    strings of the institution currency; ranges are checked as on the staff API."""

    name: str
    owner: str | None = None  # library code; None: the institution
    position: int = 0
    user_groups: list[str] = []
    network_patrons: bool | None = None
    stat_categories: list[StatMatchIn] = []
    libraries: list[str] = []
    locations: list[str] = []
    item_policies: list[str] = []
    loanable: bool = True
    loan_period_days: int = 28
    renewals_allowed: int = 2
    renewal_period_days: int | None = None
    requestable: bool = True
    pickup_allowed: bool = True
    hold_shelf_days: int | None = None
    fine_per_day: str | None = None
    fine_grace_days: int = 0
    fine_maximum: str | None = None
    lost_after_days_overdue: int | None = None
    lost_replacement_fee: str | None = None
    lost_processing_fee: str | None = None
    lost_fee_refunded: bool = True


class LoadFile(Strict):
    institution: InstitutionIn | None = None
    libraries: list[LibraryIn] = []
    users: list[UserIn] = []
    clients: list[ClientIn] = []
    records: list[RecordIn] = []
    loans: list[LoanIn] = []
    fees: list[FeeIn] = []
    fulfilment_rules: list[RuleIn] = []
