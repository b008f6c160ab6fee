"""Fulfilment rules (terms of use) as data: on which terms a patron may have an item.

A rule belongs to the institution or to one library and has *criteria* (what it matches)
and *terms* (what it gives). For one patron and one item the rules are tried in order and
the first whose criteria all hold gives the terms (:func:`match_rule`):

1. the rules owned by the item's library, by ``position`` (then id);
2. then the institution's rules, by ``position`` (then id).

A library's rules never apply to another library's items, so a library-scoped fulfilment
administrator changes only the terms of their libraries' items (DOMAIN §7).

Criteria (each empty/``None`` = any; within one criterion any listed value matches):

- ``user_groups``: the patron's user group (their role in the institution: undergraduate,
  faculty, ...; for a linked account, the group the home institution sent);
- ``network_patrons``: ``True`` only other members' patrons (linked accounts), ``False``
  only this institution's own patrons;
- ``stat_categories``: ``(category, value)`` pairs; the patron must hold one of them. Only
  categories owned by the institution, or by the rule's own library, count: a
  library-owned statistical category feeds only that library's rules (DOMAIN §7);
- ``libraries`` (institution rules only), ``locations``, ``item_policies``: the item's.

When no rule matches, the item's own policy applies (its loanable / requestable flags,
loan period and renewals, its overdue fine per day if it has one, the institution's
hold-shelf days) with no grace, maximum or lost handling: a node without rules works as
before rules existed. The item's own ``loanable``/``requestable`` flags always hold: a
rule can restrict, never loan a non-loanable copy.

Amounts are integer minor units of the institution currency (``domain/money.py``).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import asdict, dataclass, field, fields
from datetime import datetime, timedelta
from typing import Any


@dataclass(frozen=True, slots=True)
class StatFact:
    """One statistical category on the patron record and who owns it."""

    owner_library_id: int | None  # None: the institution
    category: str
    value: str


@dataclass(frozen=True, slots=True)
class PatronFacts:
    """What rules may match on the patron side (``ANONYMOUS`` for a viewer not logged in)."""

    user_group: str | None
    network_patron: bool = False
    stat_categories: tuple[StatFact, ...] = ()


ANONYMOUS = PatronFacts(user_group=None)


@dataclass(frozen=True, slots=True)
class ItemFacts:
    """What rules may match on the item side, and the item's own policy (the fallback)."""

    library_id: int
    location: str
    item_policy: str | None
    loanable: bool
    requestable: bool
    loan_period_days: int
    renewals_allowed: int
    fine_per_day_minor: int = 0


@dataclass(frozen=True, slots=True)
class Criteria:
    user_groups: frozenset[str] = frozenset()
    network_patrons: bool | None = None
    stat_categories: frozenset[tuple[str, str]] = frozenset()
    libraries: frozenset[int] = frozenset()
    locations: frozenset[str] = frozenset()
    item_policies: frozenset[str] = frozenset()


@dataclass(frozen=True, slots=True)
class RuleTerms:
    """What a rule gives. ``hold_shelf_days`` None: the institution's setting;
    ``fine_max_minor`` None: no maximum; ``lost_after_days_overdue`` None: never lost by
    the job (staff may still declare it lost)."""

    loanable: bool = True
    loan_period_days: int = 28
    renewals_allowed: int = 2
    renewal_period_days: int = 28
    requestable: bool = True
    pickup_allowed: bool = True
    hold_shelf_days: int | None = None
    fine_per_day_minor: int = 0
    fine_grace_days: int = 0
    fine_max_minor: int | None = None
    lost_after_days_overdue: int | None = None
    lost_replacement_fee_minor: int = 0
    lost_processing_fee_minor: int = 0
    lost_fee_refunded: bool = True


@dataclass(frozen=True, slots=True)
class Rule:
    id: int
    name: str
    owner_library_id: int | None  # None: the institution
    position: int
    criteria: Criteria = field(default_factory=Criteria)
    terms: RuleTerms = field(default_factory=RuleTerms)


@dataclass(frozen=True, slots=True)
class Terms:
    """The terms of use for one patron and one item: what ``terms_for`` answers, and what a
    loan keeps (``to_dict``/``from_dict``) so that its renewals, fines and lost handling
    follow the terms it was made under."""

    rule_id: int | None  # None: no rule matched, the item's own policy
    rule_name: str | None
    currency: str
    loanable: bool
    loan_period_days: int
    renewals_allowed: int
    renewal_period_days: int
    requestable: bool
    pickup_allowed: bool
    hold_shelf_days: int
    fine_per_day_minor: int = 0
    fine_grace_days: int = 0
    fine_max_minor: int | None = None
    lost_after_days_overdue: int | None = None
    lost_replacement_fee_minor: int = 0
    lost_processing_fee_minor: int = 0
    lost_fee_refunded: bool = True

    def due_date(self, start: datetime) -> datetime:
        """The due date of a loan made at ``start`` under these terms."""
        return start + timedelta(days=self.loan_period_days)

    def renewed_due_date(self, *, current_due: datetime, now: datetime) -> datetime:
        """A renewal extends by the renewal period from today or the current due date,
        whichever is later."""
        return max(current_due, now) + timedelta(days=self.renewal_period_days)

    def lost_at(self, due_at: datetime) -> datetime | None:
        """When an unreturned loan due at ``due_at`` counts as lost (None: never by rule)."""
        if self.lost_after_days_overdue is None:
            return None
        return due_at + timedelta(days=self.lost_after_days_overdue)

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> Terms:
        names = {f.name for f in fields(cls)}
        return cls(**{k: v for k, v in data.items() if k in names})


def _any_of(allowed: frozenset[Any], value: Any) -> bool:
    return not allowed or value in allowed


def rule_matches(rule: Rule, patron: PatronFacts, item: ItemFacts) -> bool:
    """Whether every criterion of ``rule`` holds for this patron and item."""
    if rule.owner_library_id is not None and rule.owner_library_id != item.library_id:
        return False
    c = rule.criteria
    if not _any_of(c.user_groups, patron.user_group):
        return False
    if c.network_patrons is not None and c.network_patrons != patron.network_patron:
        return False
    if c.stat_categories:
        # DOMAIN §7: a library-owned category feeds only that library's rules.
        held = {
            (s.category, s.value)
            for s in patron.stat_categories
            if s.owner_library_id is None or s.owner_library_id == rule.owner_library_id
        }
        if not held & c.stat_categories:
            return False
    return (
        _any_of(c.libraries, item.library_id)
        and _any_of(c.locations, item.location)
        and _any_of(c.item_policies, item.item_policy)
    )


def in_order(rules: Iterable[Rule]) -> list[Rule]:
    """Library rules before institution rules; each group by position, then id."""
    return sorted(rules, key=lambda r: (r.owner_library_id is None, r.position, r.id))


def match_rule(rules: Sequence[Rule], patron: PatronFacts, item: ItemFacts) -> Rule | None:
    """The first rule (``rules`` already :func:`in_order`) that matches, or None."""
    for rule in rules:
        if rule_matches(rule, patron, item):
            return rule
    return None


def resolve_terms(
    rules: Sequence[Rule],
    patron: PatronFacts,
    item: ItemFacts,
    *,
    currency: str,
    default_hold_shelf_days: int,
) -> Terms:
    """The terms of use for this patron and item (``rules`` already :func:`in_order`)."""
    rule = match_rule(rules, patron, item)
    if rule is None:
        return Terms(
            rule_id=None,
            rule_name=None,
            currency=currency,
            loanable=item.loanable,
            loan_period_days=item.loan_period_days,
            renewals_allowed=item.renewals_allowed,
            renewal_period_days=item.loan_period_days,
            requestable=item.requestable and item.loanable,
            pickup_allowed=True,
            hold_shelf_days=default_hold_shelf_days,
            fine_per_day_minor=item.fine_per_day_minor,
        )
    t = rule.terms
    loanable = item.loanable and t.loanable
    return Terms(
        rule_id=rule.id,
        rule_name=rule.name,
        currency=currency,
        loanable=loanable,
        loan_period_days=t.loan_period_days,
        renewals_allowed=t.renewals_allowed,
        renewal_period_days=t.renewal_period_days,
        requestable=loanable and item.requestable and t.requestable,
        pickup_allowed=t.pickup_allowed,
        hold_shelf_days=t.hold_shelf_days or default_hold_shelf_days,
        fine_per_day_minor=t.fine_per_day_minor,
        fine_grace_days=t.fine_grace_days,
        fine_max_minor=t.fine_max_minor,
        lost_after_days_overdue=t.lost_after_days_overdue,
        lost_replacement_fee_minor=t.lost_replacement_fee_minor,
        lost_processing_fee_minor=t.lost_processing_fee_minor,
        lost_fee_refunded=t.lost_fee_refunded,
    )
