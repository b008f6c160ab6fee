"""Fulfilment rules and overdue fines as plain functions (domain/fulfilment.py, overdue.py)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from institution_node.domain.fulfilment import (
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
from institution_node.domain.overdue import (
    in_courtesy_window,
    overdue_days,
    overdue_fine,
)

MAIN, LAW = 1, 2
DUE = datetime(2026, 3, 1, 12, 0, tzinfo=UTC)


def _item(library: int = MAIN, **extra: object) -> ItemFacts:
    values: dict[str, object] = {
        "library_id": library,
        "location": "STACKS",
        "item_policy": "BOOK",
        "loanable": True,
        "requestable": True,
        "loan_period_days": 28,
        "renewals_allowed": 2,
    }
    return ItemFacts(**(values | extra))  # type: ignore[arg-type]


def _terms(**extra: object) -> Terms:
    values: dict[str, object] = {
        "rule_id": 1,
        "rule_name": "r",
        "currency": "USD",
        "loanable": True,
        "loan_period_days": 21,
        "renewals_allowed": 2,
        "renewal_period_days": 21,
        "requestable": True,
        "pickup_allowed": True,
        "hold_shelf_days": 7,
    }
    return Terms(**(values | extra))  # type: ignore[arg-type]


def _resolve(rules: list[Rule], patron: PatronFacts, item: ItemFacts) -> Terms:
    return resolve_terms(in_order(rules), patron, item, currency="USD", default_hold_shelf_days=7)


def test_library_rules_come_before_institution_rules_whatever_the_positions() -> None:
    rules = [
        Rule(id=1, name="inst", owner_library_id=None, position=0),
        Rule(id=2, name="law", owner_library_id=LAW, position=99),
    ]
    patron = PatronFacts(user_group="UNDERGRAD")
    assert _resolve(rules, patron, _item(LAW)).rule_name == "law"
    assert _resolve(rules, patron, _item(MAIN)).rule_name == "inst"  # LAW's rule: LAW only


def test_library_owned_categories_feed_only_that_librarys_rules() -> None:
    honours = Criteria(stat_categories=frozenset({("PROGRAM", "HONOURS")}))
    rules = [
        Rule(id=1, name="inst", owner_library_id=None, position=0, criteria=honours),
        Rule(id=2, name="law", owner_library_id=LAW, position=0, criteria=honours),
    ]
    law_owned = PatronFacts("UG", stat_categories=(StatFact(LAW, "PROGRAM", "HONOURS"),))
    main_owned = PatronFacts("UG", stat_categories=(StatFact(MAIN, "PROGRAM", "HONOURS"),))
    inst_owned = PatronFacts("UG", stat_categories=(StatFact(None, "PROGRAM", "HONOURS"),))
    assert _resolve(rules, law_owned, _item(LAW)).rule_name == "law"
    assert _resolve(rules, law_owned, _item(MAIN)).rule_id is None
    assert _resolve(rules, main_owned, _item(LAW)).rule_id is None  # MAIN's feeds no LAW rule
    assert _resolve(rules, main_owned, _item(MAIN)).rule_id is None  # ...nor the institution's
    assert _resolve(rules, inst_owned, _item(MAIN)).rule_name == "inst"
    assert _resolve(rules, inst_owned, _item(LAW)).rule_name == "law"


def test_no_matching_rule_falls_back_to_the_item_policy() -> None:
    terms = _resolve([], PatronFacts("UG"), _item(loan_period_days=10, renewals_allowed=1))
    assert (terms.rule_id, terms.loan_period_days, terms.renewals_allowed) == (None, 10, 1)
    assert (terms.fine_per_day_minor, terms.lost_after_days_overdue) == (0, None)
    assert terms.hold_shelf_days == 7


def test_a_rule_restricts_but_never_lends_a_non_loanable_copy() -> None:
    rules = [Rule(id=1, name="all", owner_library_id=None, position=0)]
    assert not _resolve(rules, PatronFacts("UG"), _item(loanable=False)).loanable
    assert not _resolve(rules, PatronFacts("UG"), _item(requestable=False)).requestable
    closed = [Rule(1, "closed", None, 0, terms=RuleTerms(loanable=False))]
    assert not _resolve(closed, PatronFacts("UG"), _item()).requestable


@pytest.mark.parametrize(
    ("late", "days"),
    [
        (timedelta(0), 0),
        (timedelta(seconds=1), 1),
        (timedelta(days=1), 1),
        (timedelta(days=1, seconds=1), 2),
        (timedelta(days=10), 10),
    ],
)
def test_overdue_days_count_started_days(late: timedelta, days: int) -> None:
    assert overdue_days(due_at=DUE, until=DUE + late) == days
    assert overdue_days(due_at=DUE, until=DUE - late) == 0


@pytest.mark.parametrize(
    ("days_late", "fine"),
    [(0, 0), (1, 0), (2, 0), (3, 75), (10, 250), (40, 1000), (400, 1000)],
)
def test_fine_with_grace_and_maximum(days_late: int, fine: int) -> None:
    terms = _terms(fine_per_day_minor=25, fine_grace_days=2, fine_max_minor=1000)
    assert overdue_fine(terms, due_at=DUE, until=DUE + timedelta(days=days_late)) == fine


def test_fine_is_the_same_whether_counted_by_the_job_or_at_return() -> None:
    terms = _terms(fine_per_day_minor=30)
    moments = [DUE + timedelta(hours=h) for h in range(0, 24 * 12, 7)]
    # Counting up to T in steps (the job) and once (a return at T) give the same amount.
    for t in moments:
        assert overdue_fine(terms, due_at=DUE, until=t) == 30 * overdue_days(due_at=DUE, until=t)


def test_no_fine_without_a_rate_and_never_beyond_storage() -> None:
    assert overdue_fine(_terms(), due_at=DUE, until=DUE + timedelta(days=99)) == 0
    huge = _terms(fine_per_day_minor=2**30)
    assert overdue_fine(huge, due_at=DUE, until=DUE + timedelta(days=9)) == 2**31 - 1


def test_courtesy_window() -> None:
    now = DUE - timedelta(days=1)
    assert in_courtesy_window(due_at=DUE, now=now, days_before=2)
    assert not in_courtesy_window(due_at=DUE, now=now, days_before=0)
    assert not in_courtesy_window(due_at=DUE, now=DUE + timedelta(seconds=1), days_before=2)
    assert not in_courtesy_window(due_at=DUE, now=DUE - timedelta(days=3), days_before=2)


def test_terms_round_trip_and_dates() -> None:
    terms = _terms(lost_after_days_overdue=30, renewal_period_days=14)
    assert Terms.from_dict(terms.to_dict()) == terms
    assert terms.due_date(DUE) == DUE + timedelta(days=21)
    assert terms.lost_at(DUE) == DUE + timedelta(days=30)
    assert _terms().lost_at(DUE) is None
    later = DUE + timedelta(days=5)
    assert terms.renewed_due_date(current_due=DUE, now=later) == later + timedelta(days=14)
