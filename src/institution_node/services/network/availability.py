"""Availability of network records at this member, for the hub's Get It (DOMAIN §5).

One call answers a whole batch of network record ids with a constant number of SQL
statements, whatever the batch size: the institution row, the viewer's linked account (with
its roles), then either one aggregate (BRIEF) or holdings + items (FULL), and the pickup
libraries when the answer is personalised.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from datetime import date, datetime
from decimal import Decimal
from enum import StrEnum
from typing import Any

from sqlalchemy import and_, case, func, select
from sqlalchemy.ext.asyncio import AsyncSession

from network_common.errors import InvalidInput
from network_common.patron_digest import limited_digest
from network_common.vocabulary import ItemStatus, LoanStatus, RemoteRegister

from ...domain.circulation import PatronRoleFacts, role_covers
from ...domain.fulfilment import ItemFacts, PatronFacts
from ...domain.fulfilment import Terms as RuleTerms
from ...domain.money import from_minor
from ...domain.vocabulary import UserKind
from ...store.models import BibRecord, Desk, Holding, Item, Library, Loan, PatronRole, User
from ..fulfilment.terms import RuleBook, load_rule_book, stat_facts
from ..institution import get_institution

MAX_RECORDS = 500


class Detail(StrEnum):
    BRIEF = "BRIEF"
    FULL = "FULL"


@dataclass(frozen=True, slots=True)
class Viewer:
    home_institution: str
    home_user_id: str


@dataclass(frozen=True, slots=True)
class FeeTerm:
    kind: str  # LOAN_FEE / OVERDUE_FINE_PER_DAY
    amount: Decimal
    currency: str


@dataclass(frozen=True, slots=True)
class Terms:
    """Detailed terms of use: only for a viewer with a linked account here; the owner's
    fulfilment rules for that viewer and item (``services/fulfilment/terms.py``)."""

    loan_period_days: int
    renewals_allowed: int
    requestable: bool
    fees: tuple[FeeTerm, ...]
    renewal_period_days: int = 0
    pickup_allowed: bool = True
    hold_shelf_days: int = 0
    fine_grace_days: int = 0
    lost_after_days_overdue: int | None = None
    lost_fee_refunded: bool = True


@dataclass(frozen=True, slots=True)
class ItemAvailability:
    barcode: str
    status: ItemStatus
    due_at: datetime | None
    loanable: bool
    terms: Terms | None


@dataclass(frozen=True, slots=True)
class HoldingAvailability:
    library_code: str
    library_name: str
    location: str
    call_number: str | None
    items: list[ItemAvailability] = field(default_factory=list)


@dataclass(frozen=True, slots=True)
class PickupPoint:
    institution_code: str
    library_code: str | None  # None: any pickup point of that member
    library_name: str | None


@dataclass(frozen=True, slots=True)
class RecordAvailability:
    record_id: str
    found: bool
    title: str | None = None
    total_items: int = 0
    available_items: int = 0
    loanable_items: int = 0
    #: Only for a personalised answer: the viewer may place a request on this record here.
    requestable: bool = False
    holdings: list[HoldingAvailability] | None = None  # FULL only
    pickup_points: list[PickupPoint] | None = None  # FULL, personalised and requestable only


@dataclass(frozen=True, slots=True)
class AvailabilityAnswer:
    institution_code: str
    institution_name: str
    uresolver_remote_register: RemoteRegister
    #: The viewer has an account here (a linked account, or their own home record).
    viewer_linked: bool
    personalised: bool
    records: list[RecordAvailability]
    #: Digest of the viewer's limited information here (network_common.patron_digest).
    viewer_digest: str | None = None


@dataclass(frozen=True, slots=True)
class _Account:
    user_id: int
    roles: tuple[PatronRoleFacts, ...]
    digest: str
    #: The rules and the viewer's facts, for their terms of use (filled for FULL answers).
    book: RuleBook | None = None
    facts: PatronFacts | None = None


def _clean_ids(record_ids: Sequence[str]) -> list[str]:
    ids = list(dict.fromkeys(r.strip() for r in record_ids if r.strip()))
    if len(ids) > MAX_RECORDS:
        raise InvalidInput(f"Ask for at most {MAX_RECORDS} record ids at once")
    return ids


async def _viewer_account(
    session: AsyncSession, viewer: Viewer | None, own_code: str
) -> _Account | None:
    """The viewer's account here: a linked account, or their own record for a home patron."""
    if viewer is None:
        return None
    if viewer.home_institution == own_code:
        who = and_(User.primary_id == viewer.home_user_id, User.source_institution_code.is_(None))
    else:
        who = and_(
            User.source_institution_code == viewer.home_institution,
            User.source_user_id == viewer.home_user_id,
        )
    rows = (
        await session.execute(
            select(
                User.id,
                PatronRole.id,
                PatronRole.library_id,
                PatronRole.expiry_date,
                User.first_name,
                User.last_name,
                User.email,
                User.user_group,
                User.expiry_date,
                User.source_institution_code,
            )
            .outerjoin(PatronRole, PatronRole.user_id == User.id)
            .where(who, User.kind == UserKind.PATRON.value)
        )
    ).all()
    if not rows:
        return None
    roles = tuple(
        PatronRoleFacts(library_id=lib, expiry=exp)
        for _, role_id, lib, exp, *_rest in rows
        if role_id is not None
    )
    first = rows[0]
    digest = limited_digest(
        first_name=first.first_name,
        last_name=first.last_name,
        email=first.email,
        user_group=first.user_group,
        expiry_date=first[8],
    )
    facts = PatronFacts(user_group=first.user_group, network_patron=first[9] is not None)
    return _Account(user_id=first[0], roles=roles, digest=digest, facts=facts)


async def _brief(
    session: AsyncSession, ids: list[str], account: _Account | None, today: date
) -> list[RecordAvailability]:
    on_shelf = case((Item.status == ItemStatus.ON_SHELF.value, 1), else_=0)
    loanable = case((Item.loanable.is_(True), 1), else_=0)
    requestable = case((and_(Item.requestable.is_(True), Item.loanable.is_(True)), 1), else_=0)
    rows = (
        await session.execute(
            select(
                BibRecord.network_record_id,
                BibRecord.title,
                Item.library_id,
                func.count(Item.id),
                func.coalesce(func.sum(on_shelf), 0),
                func.coalesce(func.sum(loanable), 0),
                func.coalesce(func.sum(requestable), 0),
            )
            .select_from(BibRecord)
            .outerjoin(
                Item,
                and_(Item.bib_id == BibRecord.id, Item.status != ItemStatus.LOST.value),
            )
            .where(BibRecord.network_record_id.in_(ids))
            .group_by(BibRecord.network_record_id, BibRecord.title, Item.library_id)
        )
    ).all()
    acc: dict[str, dict[str, int]] = defaultdict(lambda: defaultdict(int))
    titles: dict[str, str] = {}
    for rid, title, library_id, total, avail, loan, req in rows:
        titles[rid] = title
        counts = acc[rid]
        counts["total"] += int(total)
        counts["available"] += int(avail)
        counts["loanable"] += int(loan)
        if (
            account is not None
            and library_id is not None
            and int(req) > 0
            and role_covers(account.roles, library_id, today)
        ):
            counts["requestable"] += 1
    return [
        RecordAvailability(
            record_id=rid,
            found=True,
            title=titles[rid],
            total_items=acc[rid]["total"],
            available_items=acc[rid]["available"],
            loanable_items=acc[rid]["loanable"],
            requestable=acc[rid]["requestable"] > 0,
        )
        if rid in titles
        else RecordAvailability(record_id=rid, found=False)
        for rid in ids
    ]


def _fees(loan_fee: int | None, terms: RuleTerms, currency: str) -> tuple[FeeTerm, ...]:
    """The fees of the terms: LOAN_FEE (the item's), OVERDUE_FINE_PER_DAY,
    OVERDUE_FINE_MAXIMUM, LOST_ITEM_REPLACEMENT, LOST_ITEM_PROCESSING (the rule's)."""
    amounts = [
        ("LOAN_FEE", loan_fee),
        ("OVERDUE_FINE_PER_DAY", terms.fine_per_day_minor),
        ("OVERDUE_FINE_MAXIMUM", terms.fine_max_minor),
        ("LOST_ITEM_REPLACEMENT", terms.lost_replacement_fee_minor),
        ("LOST_ITEM_PROCESSING", terms.lost_processing_fee_minor),
    ]
    return tuple(
        FeeTerm(kind, from_minor(minor, currency), currency) for kind, minor in amounts if minor
    )


def _terms(account: _Account, row: Any, loan_fee: int | None, currency: str) -> RuleTerms:
    assert account.book is not None
    facts = ItemFacts(
        library_id=row.library_id,
        location=row.location,
        item_policy=row.item_policy,
        loanable=row.loanable,
        requestable=row.requestable,
        loan_period_days=row.loan_period_days,
        renewals_allowed=row.renewals_allowed,
        fine_per_day_minor=row.overdue_fine_per_day_minor or 0,
    )
    return account.book.terms(account.facts, facts)


async def _full(
    session: AsyncSession,
    ids: list[str],
    account: _Account | None,
    currency: str,
    today: date,
) -> dict[str, RecordAvailability]:
    holding_rows = (
        await session.execute(
            select(
                BibRecord.network_record_id,
                BibRecord.title,
                Holding.id,
                Library.code,
                Library.name,
                Holding.location,
                Holding.call_number,
            )
            .select_from(BibRecord)
            .outerjoin(Holding, Holding.bib_id == BibRecord.id)
            .outerjoin(Library, Library.id == Holding.library_id)
            .where(BibRecord.network_record_id.in_(ids))
            .order_by(BibRecord.network_record_id, Library.code, Holding.location, Holding.id)
        )
    ).all()
    item_rows = (
        await session.execute(
            select(
                Item.holding_id,
                Item.barcode,
                Item.status,
                Item.library_id,
                Item.loanable,
                Item.requestable,
                Item.location,
                Item.item_policy,
                Item.loan_period_days,
                Item.renewals_allowed,
                Item.loan_fee_minor,
                Item.overdue_fine_per_day_minor,
                Loan.due_at,
            )
            .join(BibRecord, BibRecord.id == Item.bib_id)
            .outerjoin(Loan, and_(Loan.item_id == Item.id, Loan.status == LoanStatus.ACTIVE.value))
            .where(BibRecord.network_record_id.in_(ids), Item.status != ItemStatus.LOST.value)
            .order_by(Item.barcode)
        )
    ).all()
    items: dict[int, list[ItemAvailability]] = defaultdict(list)
    requestable_holdings: set[int] = set()
    for row in item_rows:
        terms = None
        if account is not None:
            rule = _terms(account, row, row.loan_fee_minor, currency)
            may_request = rule.requestable and role_covers(account.roles, row.library_id, today)
            if may_request:
                requestable_holdings.add(row.holding_id)
            terms = Terms(
                loan_period_days=rule.loan_period_days,
                renewals_allowed=rule.renewals_allowed,
                requestable=may_request,
                fees=_fees(row.loan_fee_minor, rule, currency),
                renewal_period_days=rule.renewal_period_days,
                pickup_allowed=rule.pickup_allowed,
                hold_shelf_days=rule.hold_shelf_days,
                fine_grace_days=rule.fine_grace_days,
                lost_after_days_overdue=rule.lost_after_days_overdue,
                lost_fee_refunded=rule.lost_fee_refunded,
            )
        status = ItemStatus(row.status)
        items[row.holding_id].append(
            ItemAvailability(
                barcode=row.barcode,
                status=status,
                due_at=row.due_at if status is ItemStatus.ON_LOAN else None,
                loanable=row.loanable,
                terms=terms,
            )
        )
    out: dict[str, RecordAvailability] = {}
    holdings: dict[str, list[HoldingAvailability]] = defaultdict(list)
    titles: dict[str, str] = {}
    requestable: set[str] = set()
    for rid, title, holding_id, lib_code, lib_name, location, call_number in holding_rows:
        titles[rid] = title
        if holding_id is None:
            continue
        holdings[rid].append(
            HoldingAvailability(
                library_code=lib_code,
                library_name=lib_name,
                location=location,
                call_number=call_number,
                items=items.get(holding_id, []),
            )
        )
        if holding_id in requestable_holdings:
            requestable.add(rid)
    for rid, title in titles.items():
        listed = [i for h in holdings[rid] for i in h.items]
        out[rid] = RecordAvailability(
            record_id=rid,
            found=True,
            title=title,
            total_items=len(listed),
            available_items=sum(1 for i in listed if i.status is ItemStatus.ON_SHELF),
            loanable_items=sum(1 for i in listed if i.loanable),
            requestable=rid in requestable,
            holdings=holdings[rid],
        )
    return out


async def _pickup_points(
    session: AsyncSession, own_code: str, pickup_anywhere: Sequence[str]
) -> list[PickupPoint]:
    rows = (
        await session.execute(
            select(Library.code, Library.name)
            .join(Desk, Desk.library_id == Library.id)
            .where(Desk.is_pickup_point.is_(True))
            .distinct()
            .order_by(Library.code)
        )
    ).all()
    points = [PickupPoint(own_code, code, name) for code, name in rows]
    # Other members named in the owner's pickup-anywhere list (DOMAIN §2): their libraries
    # are theirs to name, so the point is the member as a whole.
    points += [PickupPoint(code, None, None) for code in sorted(set(pickup_anywhere) - {own_code})]
    return points


async def availability(
    session: AsyncSession,
    *,
    record_ids: Sequence[str],
    viewer: Viewer | None,
    detail: Detail,
    today: date | None = None,
) -> AvailabilityAnswer:
    """Availability of a batch of network records, personalised for a linked viewer."""
    ids = _clean_ids(record_ids)
    today = today or date.today()
    institution = await get_institution(session)
    setting = RemoteRegister(institution.uresolver_remote_register)
    account = await _viewer_account(session, viewer, institution.code)
    home_patron = viewer is not None and viewer.home_institution == institution.code
    # Under NONE this member shows other members' patrons the anonymous view (DOMAIN §5),
    # even one who has an account here (e.g. from a walk-in registration).
    personal = account if home_patron or setting is not RemoteRegister.NONE else None
    if detail is Detail.BRIEF:
        records = await _brief(session, ids, personal, today) if ids else []
    else:
        if personal is not None and ids:
            stats = await stat_facts(session, user_ids=[personal.user_id])
            personal = replace(
                personal,
                book=await load_rule_book(session, institution=institution),
                facts=replace(
                    personal.facts or PatronFacts(user_group=None),
                    stat_categories=tuple(stats[personal.user_id]),
                ),
            )
        found = await _full(session, ids, personal, institution.currency, today) if ids else {}
        points: list[PickupPoint] = []
        if personal is not None and any(r.requestable for r in found.values()):
            points = await _pickup_points(
                session, institution.code, list(institution.pickup_anywhere or [])
            )
        records = [
            _with_points(found[rid], points)
            if rid in found
            else RecordAvailability(record_id=rid, found=False)
            for rid in ids
        ]
    return AvailabilityAnswer(
        institution_code=institution.code,
        institution_name=institution.name,
        uresolver_remote_register=setting,
        viewer_linked=account is not None,
        personalised=personal is not None,
        records=records,
        viewer_digest=None if account is None else account.digest,
    )


def _with_points(record: RecordAvailability, points: list[PickupPoint]) -> RecordAvailability:
    return replace(record, pickup_points=points) if record.requestable else record
