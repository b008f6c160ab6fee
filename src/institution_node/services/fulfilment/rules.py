"""Administering fulfilment rules (terms of use) on the staff API.

Fulfillment Administrators change rules; one scoped to libraries changes only rules owned
by those libraries (under FULL/PARTIAL independence, DOMAIN §7: configuration that affects
other libraries — another library's rules, or the institution's, which apply to every
library — is refused with FORBIDDEN). Every staff operator may read the rules: they are
configuration, not patron data.

``spec_values`` validates a rule (staff API and load file alike) and turns it into column
values: amounts are exact decimal strings of the institution currency (blank or zero: no
such fee), stored in minor units.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from network_common.errors import Forbidden, InvalidInput, NotFound
from network_common.scope import Scope
from network_common.tokens import Principal
from network_common.vocabulary import StaffRoleType

from ...domain.fulfilment import Terms
from ...domain.money import from_minor, parse_optional_fee, to_minor
from ...domain.visibility import may_manage_library
from ...domain.vocabulary import UserKind
from ...store.models import FulfilmentRule, Item, Library
from ..circulation import common
from ..patrons.users import get_user
from .terms import terms_for_item

ADMIN_ROLES = frozenset({StaffRoleType.FULFILLMENT_ADMINISTRATOR})
MAX_VALUES = 100


@dataclass(frozen=True, slots=True)
class RuleSpec:
    """A rule as an administrator (or the load file) gives it; codes, not ids."""

    name: str
    owner_library_code: str | None = None  # None: the institution
    position: int = 0
    user_groups: Sequence[str] = ()
    network_patrons: bool | None = None
    stat_categories: Sequence[tuple[str, str]] = ()
    library_codes: Sequence[str] = ()
    locations: Sequence[str] = ()
    item_policies: Sequence[str] = ()
    loanable: bool = True
    loan_period_days: int = 28
    renewals_allowed: int = 2
    renewal_period_days: int | None = None  # None: the loan period
    requestable: bool = True
    pickup_allowed: bool = True
    hold_shelf_days: int | None = None  # None: the institution's setting
    fine_per_day: str | None = None
    fine_grace_days: int = 0
    fine_maximum: str | None = None
    lost_after_days_overdue: int | None = None
    lost_replacement_fee: str | None = None
    lost_processing_fee: str | None = None
    lost_fee_refunded: bool = True


@dataclass(frozen=True, slots=True)
class RuleView:
    id: int
    name: str
    owner_library_code: str | None
    position: int
    user_groups: list[str]
    network_patrons: bool | None
    stat_categories: list[tuple[str, str]]
    library_codes: list[str]
    locations: list[str]
    item_policies: list[str]
    loanable: bool
    loan_period_days: int
    renewals_allowed: int
    renewal_period_days: int
    requestable: bool
    pickup_allowed: bool
    hold_shelf_days: int | None
    currency: str
    fine_per_day: Decimal | None
    fine_grace_days: int
    fine_maximum: Decimal | None
    lost_after_days_overdue: int | None
    lost_replacement_fee: Decimal | None
    lost_processing_fee: Decimal | None
    lost_fee_refunded: bool


@dataclass(frozen=True, slots=True)
class TermsView:
    """The terms that apply to one patron for one item, with the rule that gave them."""

    terms: Terms
    owner_library_code: str | None = None


def _range(name: str, value: int | None, low: int, high: int) -> None:
    if value is not None and not low <= value <= high:
        raise InvalidInput(f"{name} must be between {low} and {high}")


def _texts(name: str, values: Sequence[str], max_length: int) -> list[str]:
    out = list(dict.fromkeys(v.strip() for v in values))
    if len(out) > MAX_VALUES:
        raise InvalidInput(f"{name}: at most {MAX_VALUES} values")
    for value in out:
        if not value or len(value) > max_length or "\x00" in value:
            raise InvalidInput(f"{name}: each value must be 1 to {max_length} characters")
    return out


def _minor(value: str | None, currency: str, name: str) -> int:
    if value is None:
        return 0
    amount = parse_optional_fee(value, currency, field=name)
    return 0 if amount is None else to_minor(amount, currency)


def spec_values(spec: RuleSpec, *, currency: str, libraries: Mapping[str, int]) -> dict[str, Any]:
    """Validate ``spec`` and give the rule's column values (INVALID_INPUT naming the field);
    ``libraries`` maps library codes to ids."""
    name = spec.name.strip()
    if not name or len(name) > 128 or "\x00" in name:
        raise InvalidInput("name must be 1 to 128 characters")
    owner = None
    if spec.owner_library_code is not None:
        owner = libraries.get(spec.owner_library_code)
        if owner is None:
            raise NotFound(f"No library {spec.owner_library_code}")
    _range("position", spec.position, 0, 100_000)
    _range("loan_period_days", spec.loan_period_days, 1, 3650)
    _range("renewals_allowed", spec.renewals_allowed, 0, 100)
    _range("renewal_period_days", spec.renewal_period_days, 1, 3650)
    _range("hold_shelf_days", spec.hold_shelf_days, 1, 365)
    _range("fine_grace_days", spec.fine_grace_days, 0, 365)
    _range("lost_after_days_overdue", spec.lost_after_days_overdue, 1, 3650)
    codes = _texts("libraries", spec.library_codes, 64)
    if owner is not None and codes:
        raise InvalidInput(
            "A library's rule applies to that library's items only: give libraries on "
            "institution rules"
        )
    unknown = [c for c in codes if c not in libraries]
    if unknown:
        raise NotFound(f"No library {unknown[0]}")
    stats = []
    for category, value in spec.stat_categories:
        pair = _texts("statCategories.category", [category], 64) + _texts(
            "statCategories.value", [value], 128
        )
        if pair not in stats:
            stats.append(pair)
    if len(stats) > MAX_VALUES:
        raise InvalidInput(f"statCategories: at most {MAX_VALUES} values")
    fine_max = None
    if spec.fine_maximum is not None:
        found = parse_optional_fee(spec.fine_maximum, currency, field="fine_maximum")
        fine_max = None if found is None else to_minor(found, currency)
    return {
        "name": name,
        "owner_library_id": owner,
        "position": spec.position,
        "user_groups": _texts("userGroups", spec.user_groups, 64),
        "network_patrons": spec.network_patrons,
        "stat_categories": stats,
        "library_ids": sorted(libraries[c] for c in codes),
        "locations": _texts("locations", spec.locations, 128),
        "item_policies": _texts("itemPolicies", spec.item_policies, 64),
        "loanable": spec.loanable,
        "loan_period_days": spec.loan_period_days,
        "renewals_allowed": spec.renewals_allowed,
        "renewal_period_days": spec.renewal_period_days or spec.loan_period_days,
        "requestable": spec.requestable,
        "pickup_allowed": spec.pickup_allowed,
        "hold_shelf_days": spec.hold_shelf_days,
        "fine_per_day_minor": _minor(spec.fine_per_day, currency, "fine_per_day"),
        "fine_grace_days": spec.fine_grace_days,
        "fine_max_minor": fine_max,
        "lost_after_days_overdue": spec.lost_after_days_overdue,
        "lost_replacement_fee_minor": _minor(
            spec.lost_replacement_fee, currency, "lost_replacement_fee"
        ),
        "lost_processing_fee_minor": _minor(
            spec.lost_processing_fee, currency, "lost_processing_fee"
        ),
        "lost_fee_refunded": spec.lost_fee_refunded,
    }


def _admin_scope(actor: Principal) -> Scope:
    if not actor.has_any_role(ADMIN_ROLES):
        raise Forbidden("Only a Fulfillment Administrator changes fulfilment rules")
    return actor.scope(ADMIN_ROLES)


async def _libraries(session: AsyncSession) -> dict[str, int]:
    return {code: id_ for id_, code in await session.execute(select(Library.id, Library.code))}


def _check_owner(facts: common.Facts, scope: Scope, owner_library_id: int | None) -> None:
    if not may_manage_library(facts.model, scope, owner_library_id):
        raise Forbidden(
            "This rule belongs to the institution"
            if owner_library_id is None
            else "This rule belongs to a library outside your scope"
        )


def _view(row: FulfilmentRule, codes: Mapping[int, str], currency: str) -> RuleView:
    def money(minor: int | None) -> Decimal | None:
        return from_minor(minor, currency) if minor else None

    return RuleView(
        id=row.id,
        name=row.name,
        owner_library_code=codes.get(row.owner_library_id) if row.owner_library_id else None,
        position=row.position,
        user_groups=list(row.user_groups or ()),
        network_patrons=row.network_patrons,
        stat_categories=[(str(c), str(v)) for c, v in row.stat_categories or ()],
        library_codes=sorted(codes[i] for i in row.library_ids or () if i in codes),
        locations=list(row.locations or ()),
        item_policies=list(row.item_policies or ()),
        loanable=row.loanable,
        loan_period_days=row.loan_period_days,
        renewals_allowed=row.renewals_allowed,
        renewal_period_days=row.renewal_period_days,
        requestable=row.requestable,
        pickup_allowed=row.pickup_allowed,
        hold_shelf_days=row.hold_shelf_days,
        currency=currency,
        fine_per_day=money(row.fine_per_day_minor),
        fine_grace_days=row.fine_grace_days,
        fine_maximum=money(row.fine_max_minor),
        lost_after_days_overdue=row.lost_after_days_overdue,
        lost_replacement_fee=money(row.lost_replacement_fee_minor),
        lost_processing_fee=money(row.lost_processing_fee_minor),
        lost_fee_refunded=row.lost_fee_refunded,
    )


async def list_rules(session: AsyncSession, *, actor: Principal) -> list[RuleView]:
    """Every rule in matching order: each library's own rules, then the institution's."""
    facts = await common.facts(session)
    libraries = await _libraries(session)
    codes = {id_: code for code, id_ in libraries.items()}
    rows = (await session.scalars(select(FulfilmentRule))).all()
    rows = sorted(
        rows,
        key=lambda r: (
            r.owner_library_id is None,
            codes.get(r.owner_library_id or 0, ""),
            r.position,
            r.id,
        ),
    )
    return [_view(r, codes, facts.currency) for r in rows]


async def create_rule(session: AsyncSession, *, actor: Principal, spec: RuleSpec) -> RuleView:
    """Add a rule owned by a library in the administrator's scope (or the institution)."""
    scope = _admin_scope(actor)
    facts = await common.facts(session)
    libraries = await _libraries(session)
    values = spec_values(spec, currency=facts.currency, libraries=libraries)
    _check_owner(facts, scope, values["owner_library_id"])
    row = FulfilmentRule(**values, version=1)
    session.add(row)
    await session.commit()
    return _view(row, {i: c for c, i in libraries.items()}, facts.currency)


async def _locked(session: AsyncSession, rule_id: int) -> FulfilmentRule:
    row: FulfilmentRule | None = await session.scalar(
        select(FulfilmentRule).where(FulfilmentRule.id == rule_id).with_for_update()
    )
    if row is None:
        raise NotFound("No such fulfilment rule")
    return row


async def update_rule(
    session: AsyncSession, *, actor: Principal, rule_id: int, spec: RuleSpec
) -> RuleView:
    """Replace a rule's criteria and terms (its owner, old and new, must be in scope).
    Loans already made keep the terms they were made under."""
    scope = _admin_scope(actor)
    facts = await common.facts(session)
    libraries = await _libraries(session)
    row = await _locked(session, rule_id)
    _check_owner(facts, scope, row.owner_library_id)
    values = spec_values(spec, currency=facts.currency, libraries=libraries)
    _check_owner(facts, scope, values["owner_library_id"])
    for name, value in values.items():
        setattr(row, name, value)
    row.version = (row.version or 1) + 1
    await session.commit()
    return _view(row, {i: c for c, i in libraries.items()}, facts.currency)


async def delete_rule(session: AsyncSession, *, actor: Principal, rule_id: int) -> None:
    """Remove a rule (its loans keep their terms)."""
    scope = _admin_scope(actor)
    facts = await common.facts(session)
    row = await _locked(session, rule_id)
    _check_owner(facts, scope, row.owner_library_id)
    await session.delete(row)
    await session.commit()


async def explain_terms(
    session: AsyncSession, *, actor: Principal, patron_primary_id: str, barcode: str
) -> TermsView:
    """The terms a loan of ``barcode`` to the patron would be made under, and why."""
    patron = await get_user(session, actor=actor, primary_id=patron_primary_id)
    if patron.kind != UserKind.PATRON.value:
        raise NotFound("No such patron")
    item = await session.scalar(select(Item).where(Item.barcode == barcode))
    if item is None:
        raise NotFound(f"No item with barcode {barcode}")
    terms = await terms_for_item(session, item=item, patron_id=patron.id)
    owner = None
    if terms.rule_id is not None:
        owner_id = await session.scalar(
            select(FulfilmentRule.owner_library_id).where(FulfilmentRule.id == terms.rule_id)
        )
        if owner_id is not None:
            owner = await session.scalar(select(Library.code).where(Library.id == owner_id))
    return TermsView(terms=terms, owner_library_code=owner)
