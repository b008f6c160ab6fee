"""Which terms of use apply: the rule book, the facts rules match on, and ``terms_for``.

Service API (other capabilities build on it; all keyword-only):

- ``terms_for(session, *, patron_id, item_id) -> Terms``: one patron and one item;
- ``terms_for_item(session, *, item, patron_id)``: the same for an item row already
  loaded (and locked) by the caller;
- ``terms_for_items(session, *, items, patron_id) -> dict[item id, Terms]``: a batch in a
  constant number of statements (``patron_id`` None: a viewer who is not logged in);
- ``load_rule_book(session)`` and ``patron_facts(session, user_ids=...)`` for callers that
  resolve many (patron, item) pairs themselves (``RuleBook.terms``).

``Terms`` (``domain/fulfilment.py``) is a frozen dataclass; a loan keeps it as
``loan.terms`` (``Terms.to_dict``), and ``loan_terms(loan, item)`` reads it back.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from network_common.errors import NotFound

from ...domain.fulfilment import (
    ANONYMOUS,
    Criteria,
    ItemFacts,
    PatronFacts,
    Rule,
    RuleTerms,
    StatFact,
    Terms,
    in_order,
    resolve_terms,
)
from ...store.models import FulfilmentRule, Institution, Item, Loan, StatCategory, User


@dataclass(frozen=True, slots=True)
class RuleBook:
    """Every rule of the institution, in matching order, with what the fallback needs."""

    rules: tuple[Rule, ...]
    currency: str
    hold_shelf_days: int

    def terms(self, patron: PatronFacts | None, item: ItemFacts) -> Terms:
        return resolve_terms(
            self.rules,
            patron or ANONYMOUS,
            item,
            currency=self.currency,
            default_hold_shelf_days=self.hold_shelf_days,
        )


def rule_from_row(row: FulfilmentRule) -> Rule:
    return Rule(
        id=row.id,
        name=row.name,
        owner_library_id=row.owner_library_id,
        position=row.position,
        criteria=Criteria(
            user_groups=frozenset(row.user_groups or ()),
            network_patrons=row.network_patrons,
            stat_categories=frozenset((str(c), str(v)) for c, v in row.stat_categories or ()),
            libraries=frozenset(int(i) for i in row.library_ids or ()),
            locations=frozenset(row.locations or ()),
            item_policies=frozenset(row.item_policies or ()),
        ),
        terms=RuleTerms(
            loanable=row.loanable,
            loan_period_days=row.loan_period_days,
            renewals_allowed=row.renewals_allowed,
            renewal_period_days=row.renewal_period_days,
            requestable=row.requestable,
            pickup_allowed=row.pickup_allowed,
            hold_shelf_days=row.hold_shelf_days,
            fine_per_day_minor=row.fine_per_day_minor,
            fine_grace_days=row.fine_grace_days,
            fine_max_minor=row.fine_max_minor,
            lost_after_days_overdue=row.lost_after_days_overdue,
            lost_replacement_fee_minor=row.lost_replacement_fee_minor,
            lost_processing_fee_minor=row.lost_processing_fee_minor,
            lost_fee_refunded=row.lost_fee_refunded,
        ),
    )


async def load_rule_book(
    session: AsyncSession, *, institution: Institution | None = None
) -> RuleBook:
    """The institution's rules in matching order (two statements; one when the caller
    already holds the ``institution`` row)."""
    if institution is None:
        institution = await session.scalar(select(Institution))
    if institution is None:
        raise NotFound("No institution is loaded on this node")
    rows = (await session.scalars(select(FulfilmentRule))).all()
    return RuleBook(
        rules=tuple(in_order(rule_from_row(r) for r in rows)),
        currency=institution.currency,
        hold_shelf_days=institution.hold_shelf_days,
    )


def item_facts(item: Item) -> ItemFacts:
    return ItemFacts(
        library_id=item.library_id,
        location=item.location,
        item_policy=item.item_policy,
        loanable=item.loanable,
        requestable=item.requestable,
        loan_period_days=item.loan_period_days,
        renewals_allowed=item.renewals_allowed,
        fine_per_day_minor=item.overdue_fine_per_day_minor or 0,
    )


async def patron_facts(session: AsyncSession, *, user_ids: Iterable[int]) -> dict[int, PatronFacts]:
    """User group, network patron or not, and statistical categories (two statements)."""
    ids = sorted(set(user_ids))
    if not ids:
        return {}
    users = (
        await session.execute(
            select(User.id, User.user_group, User.source_institution_code).where(User.id.in_(ids))
        )
    ).all()
    stats = await stat_facts(session, user_ids=ids)
    return {
        user_id: PatronFacts(
            user_group=group,
            network_patron=source is not None,
            stat_categories=tuple(stats[user_id]),
        )
        for user_id, group, source in users
    }


async def stat_facts(session: AsyncSession, *, user_ids: list[int]) -> dict[int, list[StatFact]]:
    """The patrons' statistical categories with their owners (one statement)."""
    stats: dict[int, list[StatFact]] = defaultdict(list)
    for user_id, owner, category, value in await session.execute(
        select(
            StatCategory.user_id,
            StatCategory.owner_library_id,
            StatCategory.category,
            StatCategory.value,
        )
        .where(StatCategory.user_id.in_(user_ids))
        .order_by(StatCategory.id)
    ):
        stats[user_id].append(StatFact(owner, category, value))
    return stats


async def terms_for_item(session: AsyncSession, *, item: Item, patron_id: int | None) -> Terms:
    """The terms of use for ``patron_id`` (None: anonymous) and an item row in hand."""
    book = await load_rule_book(session)
    patron = None
    if patron_id is not None:
        patron = (await patron_facts(session, user_ids=[patron_id])).get(patron_id)
        if patron is None:
            raise NotFound("No such patron")
    return book.terms(patron, item_facts(item))


async def terms_for(session: AsyncSession, *, patron_id: int, item_id: int) -> Terms:
    """The terms of use that apply to this patron for this item."""
    item = await session.get(Item, item_id)
    if item is None:
        raise NotFound("No such item")
    return await terms_for_item(session, item=item, patron_id=patron_id)


async def terms_for_items(
    session: AsyncSession, *, items: Sequence[Item], patron_id: int | None
) -> dict[int, Terms]:
    """Terms for many items and one patron (None: anonymous), in four statements."""
    if not items:
        return {}
    book = await load_rule_book(session)
    patron = None
    if patron_id is not None:
        patron = (await patron_facts(session, user_ids=[patron_id])).get(patron_id)
    return {item.id: book.terms(patron, item_facts(item)) for item in items}


def loan_terms(loan: Loan, item: Item) -> Terms:
    """The terms a loan was made under; loans from before fulfilment rules existed follow
    their item's policy (no fines, never lost by rule)."""
    if loan.terms:
        return Terms.from_dict(loan.terms)
    facts = item_facts(item)
    return Terms(
        rule_id=None,
        rule_name=None,
        currency="",
        loanable=facts.loanable,
        loan_period_days=facts.loan_period_days,
        renewals_allowed=facts.renewals_allowed,
        renewal_period_days=facts.loan_period_days,
        requestable=facts.requestable,
        pickup_allowed=True,
        hold_shelf_days=0,
    )
