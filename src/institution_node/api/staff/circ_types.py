"""GraphQL types for circulation records: loans, fees, and owned patron records."""

from __future__ import annotations

from datetime import date, datetime

import strawberry

from network_common.graphql_vocabulary import FeeType, LoanStatus

from ...domain.fulfilment import Terms
from ...domain.money import from_minor
from ...services.circulation.views import LoanView
from ...services.fees import Balance, FeeTransactionView, FeeView
from ...services.patrons.records import DeliveryStatus, OwnedView
from ...services.patrons.users import PatronRoleView
from .enums import FeeStatus, FeeTransactionKind


@strawberry.type(description="An amount as an exact decimal string, with its currency.")
class Money:
    amount: str
    currency: str

    @classmethod
    def from_domain(cls, value: Balance) -> Money:
        return cls(amount=str(value.amount), currency=value.currency)


def money(minor: int | None, currency: str) -> Money | None:
    """An amount in minor units as Money; None (no such fee) for nothing or zero."""
    if not minor or not currency:
        return None
    return Money(amount=str(from_minor(minor, currency)), currency=currency)


@strawberry.type(description="Terms of use: what a fulfilment rule gives for a patron and item.")
class TermsOfUse:
    rule_id: strawberry.ID | None = strawberry.field(
        description="The rule that gave them; null: no rule matched (the item's own policy)."
    )
    rule_name: str | None
    loanable: bool
    loan_period_days: int
    renewals_allowed: int
    renewal_period_days: int
    requestable: bool
    pickup_allowed: bool = strawberry.field(
        description="May be picked up elsewhere than the owning library (or at another member)."
    )
    hold_shelf_days: int
    fine_per_day: Money | None
    fine_grace_days: int
    fine_maximum: Money | None
    lost_after_days_overdue: int | None
    lost_replacement_fee: Money | None
    lost_processing_fee: Money | None
    lost_fee_refunded: bool

    @classmethod
    def from_domain(cls, t: Terms) -> TermsOfUse:
        return cls(
            rule_id=None if t.rule_id is None else strawberry.ID(str(t.rule_id)),
            rule_name=t.rule_name,
            loanable=t.loanable,
            loan_period_days=t.loan_period_days,
            renewals_allowed=t.renewals_allowed,
            renewal_period_days=t.renewal_period_days,
            requestable=t.requestable,
            pickup_allowed=t.pickup_allowed,
            hold_shelf_days=t.hold_shelf_days,
            fine_per_day=money(t.fine_per_day_minor, t.currency),
            fine_grace_days=t.fine_grace_days,
            fine_maximum=money(t.fine_max_minor, t.currency),
            lost_after_days_overdue=t.lost_after_days_overdue,
            lost_replacement_fee=money(t.lost_replacement_fee_minor, t.currency),
            lost_processing_fee=money(t.lost_processing_fee_minor, t.currency),
            lost_fee_refunded=t.lost_fee_refunded,
        )


@strawberry.type
class Loan:
    id: strawberry.ID
    status: LoanStatus
    item_barcode: str
    title: str
    patron_primary_id: str
    owning_library_code: str
    loan_institution: str | None = strawberry.field(
        description="The member where it was loaned: this institution's code, or the pickup "
        "member's (then the desk and library codes are that member's)."
    )
    loan_desk_code: str | None
    loan_library_code: str | None
    loaned_at: datetime
    due_at: datetime
    renewals: int
    renewals_allowed: int
    returned_at: datetime | None
    return_institution: str | None = strawberry.field(
        description="The member where it was returned (null while not returned)."
    )
    return_desk_code: str | None
    return_library_code: str | None
    terms: TermsOfUse | None = strawberry.field(
        description="The terms the loan was made under; null for loans older than the rules."
    )
    lost_at: datetime | None = strawberry.field(
        description="When the loan counts as lost by its terms if still not returned."
    )
    declared_lost_at: datetime | None

    @classmethod
    def from_domain(cls, v: LoanView) -> Loan:
        return cls(
            id=strawberry.ID(str(v.id)),
            status=LoanStatus(v.status),
            item_barcode=v.barcode,
            title=v.title,
            patron_primary_id=v.patron_primary_id,
            owning_library_code=v.owning_library,
            loan_institution=v.loan_institution,
            loan_desk_code=v.loan_desk,
            loan_library_code=v.loan_library,
            loaned_at=v.loaned_at,
            due_at=v.due_at,
            renewals=v.renewals,
            renewals_allowed=v.renewals_allowed,
            returned_at=v.returned_at,
            return_institution=v.return_institution,
            return_desk_code=v.return_desk,
            return_library_code=v.return_library,
            terms=TermsOfUse.from_domain(v.terms) if v.terms else None,
            lost_at=v.lost_at,
            declared_lost_at=v.declared_lost_at,
        )


@strawberry.type
class FeeTransaction:
    kind: FeeTransactionKind
    amount: str
    desk_code: str | None
    note: str | None
    created_at: datetime

    @classmethod
    def from_domain(cls, v: FeeTransactionView) -> FeeTransaction:
        return cls(
            kind=FeeTransactionKind(v.kind),
            amount=str(v.amount),
            desk_code=v.desk,
            note=v.note,
            created_at=v.created_at,
        )


@strawberry.type(description="A fine or fee; amounts are exact decimal strings.")
class Fee:
    id: strawberry.ID
    type: FeeType
    owner_library_code: str | None = strawberry.field(
        description="The owning library; null when the institution owns it."
    )
    currency: str
    original_amount: str
    balance: str
    status: FeeStatus
    comment: str | None
    created_at: datetime
    transactions: list[FeeTransaction]

    @classmethod
    def from_domain(cls, v: FeeView) -> Fee:
        return cls(
            id=strawberry.ID(str(v.id)),
            type=FeeType(v.fee_type),
            owner_library_code=v.owner_library,
            currency=v.currency,
            original_amount=str(v.original),
            balance=str(v.balance),
            status=FeeStatus(v.status),
            comment=v.comment,
            created_at=v.created_at,
            transactions=[FeeTransaction.from_domain(t) for t in v.transactions],
        )


@strawberry.type
class PatronRole:
    id: strawberry.ID
    library_code: str | None = strawberry.field(description="Null: institution-wide.")
    expiry_date: date | None

    @classmethod
    def from_domain(cls, v: PatronRoleView) -> PatronRole:
        return cls(id=strawberry.ID(str(v.id)), library_code=v.library, expiry_date=v.expiry_date)


@strawberry.type
class Block:
    id: strawberry.ID
    owner_library_code: str | None
    block_type: str
    description: str
    expiry_date: date | None
    created_at: datetime

    @classmethod
    def from_domain(cls, v: OwnedView) -> Block:
        f = v.fields
        return cls(
            id=strawberry.ID(str(v.id)),
            owner_library_code=v.owner_library,
            block_type=f["block_type"],
            description=f["description"],
            expiry_date=f["expiry_date"],
            created_at=f["created_at"],
        )


@strawberry.type
class Note:
    id: strawberry.ID
    owner_library_code: str | None
    text: str
    created_at: datetime

    @classmethod
    def from_domain(cls, v: OwnedView) -> Note:
        return cls(
            id=strawberry.ID(str(v.id)),
            owner_library_code=v.owner_library,
            text=v.fields["text"],
            created_at=v.fields["created_at"],
        )


@strawberry.type
class StatCategory:
    id: strawberry.ID
    owner_library_code: str | None
    category: str
    value: str

    @classmethod
    def from_domain(cls, v: OwnedView) -> StatCategory:
        return cls(
            id=strawberry.ID(str(v.id)),
            owner_library_code=v.owner_library,
            category=v.fields["category"],
            value=v.fields["value"],
        )


strawberry.enum(
    DeliveryStatus,
    name="LetterDeliveryStatus",
    description="Where the letter's e-mail is: PENDING (waiting or being retried), SENT, "
    "FAILED (given up, see deliveryError), NOT_SENT (no e-mail address, or mail is off).",
)


@strawberry.type(description="A letter sent to the patron; its owner sets the reply-to.")
class Notification:
    id: strawberry.ID
    owner_library_code: str | None
    letter: str
    reply_to: str | None
    subject: str
    body: str
    created_at: datetime
    delivery_status: DeliveryStatus
    delivery_attempts: int
    delivered_at: datetime | None
    delivery_error: str | None

    @classmethod
    def from_domain(cls, v: OwnedView) -> Notification:
        f = v.fields
        return cls(
            id=strawberry.ID(str(v.id)),
            owner_library_code=v.owner_library,
            letter=f["letter"],
            reply_to=f["reply_to"],
            subject=f["subject"],
            body=f["body"],
            created_at=f["created_at"],
            delivery_status=f["delivery_status"],
            delivery_attempts=f["delivery_attempts"],
            delivered_at=f["delivered_at"],
            delivery_error=f["delivery_error"],
        )


@strawberry.type
class Attachment:
    id: strawberry.ID
    owner_library_code: str | None
    name: str
    content_type: str
    notification_id: strawberry.ID | None
    created_at: datetime

    @classmethod
    def from_domain(cls, v: OwnedView) -> Attachment:
        f = v.fields
        nid = f["notification_id"]
        return cls(
            id=strawberry.ID(str(v.id)),
            owner_library_code=v.owner_library,
            name=f["name"],
            content_type=f["content_type"],
            notification_id=None if nid is None else strawberry.ID(str(nid)),
            created_at=f["created_at"],
        )
