"""Loan, renewal and return rules (domain/circulation.py), no I/O."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest

from institution_node.domain.circulation import (
    BlockFacts,
    ItemFacts,
    PatronRoleFacts,
    applicable_blocks,
    check_loan,
    check_renewal,
    next_step_after_return,
    renewed_due_date,
    role_covers,
)
from network_common.errors import Ineligible
from network_common.vocabulary import ItemStatus, LoanStatus, NextStep

TODAY = date(2026, 3, 1)
MAIN, LAW = 1, 2
ANYWHERE = [PatronRoleFacts(library_id=None, expiry=None)]


def item(**change: object) -> ItemFacts:
    base: dict[str, object] = {
        "library_id": MAIN,
        "loanable": True,
        "status": ItemStatus.ON_SHELF,
        "loan_period_days": 14,
        "renewals_allowed": 2,
    }
    return ItemFacts(**{**base, **change})  # type: ignore[arg-type]


def code_of(**kwargs: object) -> str | None:
    args: dict[str, object] = {"item": item(), "roles": ANYWHERE, "blocks": [], "today": TODAY}
    try:
        check_loan(**{**args, **kwargs})  # type: ignore[arg-type]
    except Ineligible as exc:
        return exc.code.value
    return None


def test_an_eligible_loan_passes() -> None:
    assert code_of() is None


@pytest.mark.parametrize(
    ("kwargs", "code"),
    [
        ({"item": item(loanable=False)}, "ITEM_NOT_LOANABLE"),
        ({"item": item(status=ItemStatus.ON_LOAN)}, "ITEM_ON_LOAN"),
        ({"item": item(status=ItemStatus.LOST)}, "ITEM_NOT_AVAILABLE"),
        ({"item": item(status=ItemStatus.ON_HOLD_SHELF)}, "ITEM_NOT_AVAILABLE"),
        ({"roles": []}, "PATRON_NOT_ELIGIBLE"),
        ({"roles": [PatronRoleFacts(LAW, None)]}, "PATRON_NOT_ELIGIBLE"),
        ({"roles": [PatronRoleFacts(None, TODAY - timedelta(days=1))]}, "PATRON_NOT_ELIGIBLE"),
        ({"blocks": [BlockFacts(None, None, "institution")]}, "PATRON_BLOCKED"),
        ({"blocks": [BlockFacts(MAIN, None, "main")]}, "PATRON_BLOCKED"),
        # A block ending today still stops today's loans (it ends with the day).
        ({"blocks": [BlockFacts(None, TODAY, "ends today")]}, "PATRON_BLOCKED"),
        ({"blocks": [BlockFacts(MAIN, TODAY, "main, ends today")]}, "PATRON_BLOCKED"),
    ],
)
def test_refusals(kwargs: dict[str, object], code: str) -> None:
    assert code_of(**kwargs) == code


def test_held_item_goes_to_its_patron_and_other_library_blocks_do_not_apply() -> None:
    assert code_of(item=item(status=ItemStatus.ON_HOLD_SHELF), held_for_patron=True) is None
    assert code_of(blocks=[BlockFacts(LAW, None, "law only")]) is None
    assert code_of(blocks=[BlockFacts(None, TODAY - timedelta(days=1), "expired")]) is None


def test_role_scope_and_expiry_day_itself() -> None:
    assert role_covers([PatronRoleFacts(MAIN, TODAY)], MAIN, TODAY)
    assert not role_covers([PatronRoleFacts(MAIN, TODAY)], LAW, TODAY)
    blocks = [BlockFacts(MAIN, None, "a"), BlockFacts(LAW, None, "b")]
    assert [b.description for b in applicable_blocks(blocks, LAW, TODAY)] == ["b"]


def test_renewal_limits_and_dates() -> None:
    check_renewal(status=LoanStatus.ACTIVE, renewals=1, renewals_allowed=2)
    with pytest.raises(Ineligible) as err:
        check_renewal(status=LoanStatus.ACTIVE, renewals=2, renewals_allowed=2)
    assert err.value.code.value == "RENEWAL_LIMIT"
    with pytest.raises(Ineligible) as err:
        check_renewal(status=LoanStatus.RETURNED, renewals=0, renewals_allowed=2)
    assert err.value.code.value == "LOAN_NOT_ACTIVE"
    now = datetime(2026, 3, 1, tzinfo=UTC)
    overdue = now - timedelta(days=3)
    assert renewed_due_date(current_due=overdue, now=now, loan_period_days=7) == now + timedelta(7)
    later = now + timedelta(days=3)
    assert renewed_due_date(current_due=later, now=now, loan_period_days=7) == later + timedelta(7)


def test_next_step_after_return() -> None:
    assert (
        next_step_after_return(owning_library_id=MAIN, return_library_id=MAIN) is NextStep.RESHELVE
    )
    assert next_step_after_return(owning_library_id=MAIN, return_library_id=LAW) is NextStep.TRANSIT
