"""The borrowing and lending transition tables (DOMAIN §8): the stories they allow, what
they refuse, the actions offered per state, the rota and the 42-day rule."""

from __future__ import annotations

import itertools
from datetime import UTC, datetime, timedelta

import pytest

from institution_node.domain import borrowing as b
from institution_node.domain import lending as lnd
from network_common.errors import DomainError, ErrorCode

BS, BE = b.BorrowingStatus, b.BorrowingEvent
LS, LE = lnd.LendingStatus, lnd.LendingEvent


def walk_borrowing(events: list[b.BorrowingEvent]) -> b.BorrowingStatus:
    status = BS.READY_TO_SEND
    for event in events:
        status = b.next_status(status, event)
    return status


def walk_lending(events: list[lnd.LendingEvent]) -> lnd.LendingStatus:
    status = LS.NEW
    for event in events:
        status = lnd.next_status(status, event)
    return status


def test_the_borrowing_story() -> None:
    story = [
        BE.SEND,
        BE.PARTNER_WILL_SUPPLY,
        BE.PARTNER_SHIPPED,
        BE.RECEIVE,
        BE.LOAN_TO_PATRON,
        BE.REQUEST_RENEWAL,
        BE.PARTNER_RENEWED,
        BE.AUTO_REJECT_RENEWAL,
        BE.RETURN_BY_PATRON,
        BE.SHIP_RETURN,
        BE.PARTNER_CHECKED_IN,
    ]
    assert walk_borrowing(story) is BS.COMPLETED


def test_the_lending_story() -> None:
    story = [
        LE.WILL_SUPPLY,
        LE.SHIP,
        LE.PARTNER_RENEW_REQUEST,
        LE.APPROVE_RENEWAL,
        LE.PARTNER_RETURNED,
        LE.CHECK_IN,
    ]
    assert walk_lending(story) is LS.COMPLETED


def test_rota_and_conditions_on_the_borrowing_side() -> None:
    assert walk_borrowing([BE.SEND, BE.ADVANCE_ROTA, BE.ROTA_EXHAUSTED]) is BS.END_OF_ROTA
    assert walk_borrowing([BE.SEND, BE.ADVANCE_ROTA, BE.ROTA_EXHAUSTED, BE.RESEND]) is (
        BS.READY_TO_SEND
    )
    assert walk_borrowing([BE.SEND, BE.PARTNER_CONDITIONAL, BE.ACCEPT_CONDITIONS]) is (
        BS.WILL_SUPPLY
    )


@pytest.mark.parametrize("status", sorted(b.ASKING))
def test_cancel_while_asking_waits_for_the_partner(status: b.BorrowingStatus) -> None:
    assert b.next_status(status, BE.CANCEL) is BS.CANCEL_REQUESTED
    assert b.next_status(BS.CANCEL_REQUESTED, BE.PARTNER_CANCEL_ACCEPTED) is BS.CANCELLED


@pytest.mark.parametrize(
    "status", [BS.SHIPPED, BS.RECEIVED, BS.LOANED_TO_PATRON, BS.RETURNED_BY_PATRON]
)
def test_cancel_after_shipping_is_refused(status: b.BorrowingStatus) -> None:
    with pytest.raises(DomainError) as refused:
        b.next_status(status, BE.CANCEL)
    assert refused.value.code is ErrorCode.ILLEGAL_TRANSITION


def test_lost_both_ways() -> None:
    on_loan = [BE.SEND, BE.PARTNER_SHIPPED, BE.RECEIVE, BE.LOAN_TO_PATRON]
    assert walk_borrowing([*on_loan, BE.REPORT_LOST, BE.PARTNER_DECLARED_LOST, BE.COMPLETE]) is (
        BS.COMPLETED
    )
    assert walk_borrowing([*on_loan, BE.PARTNER_DECLARED_LOST, BE.COMPLETE]) is BS.COMPLETED
    assert walk_lending([LE.SHIP, LE.DECLARE_LOST, LE.COMPLETE]) is LS.COMPLETED


def test_lending_cancel_only_before_shipping() -> None:
    for status in lnd.BEFORE_SHIPPING:
        assert lnd.next_status(status, LE.PARTNER_CANCEL) is LS.CANCELLED
    for status in lnd.AT_PARTNER:
        with pytest.raises(DomainError):
            lnd.next_status(status, LE.PARTNER_CANCEL)


@pytest.mark.parametrize(
    ("status", "event"),
    [
        (s, e)
        for s, e in itertools.product(b.BorrowingStatus, b.BorrowingEvent)
        if (s, e) not in b.TRANSITIONS
    ],
)
def test_every_other_borrowing_pair_is_refused(
    status: b.BorrowingStatus, event: b.BorrowingEvent
) -> None:
    with pytest.raises(DomainError) as refused:
        b.next_status(status, event)
    assert refused.value.code is ErrorCode.ILLEGAL_TRANSITION


def test_closed_requests_go_nowhere() -> None:
    assert not [k for k in b.TRANSITIONS if k[0] in b.CLOSED]
    assert not [k for k in lnd.TRANSITIONS if k[0] in lnd.CLOSED]


def test_allowed_actions_follow_the_tables() -> None:
    assert b.BorrowingAction.SEND in b.allowed_actions(BS.READY_TO_SEND)
    assert b.BorrowingAction.CANCEL not in b.allowed_actions(BS.SHIPPED)
    assert b.BorrowingAction.DECLINE_CONDITIONS in b.allowed_actions(BS.CONDITIONAL)
    assert b.BorrowingAction.DECLINE_CONDITIONS not in b.allowed_actions(BS.REQUEST_SENT)
    assert b.allowed_actions(BS.COMPLETED) == [b.BorrowingAction.ADD_NOTE]
    # The desk's loan and return of the temporary item, where the table has them.
    assert b.BorrowingAction.LOAN_TO_PATRON in b.allowed_actions(BS.RECEIVED)
    assert b.BorrowingAction.LOAN_TO_PATRON not in b.allowed_actions(BS.SHIPPED)
    assert b.BorrowingAction.RETURN_BY_PATRON in b.allowed_actions(BS.RENEWED_BY_PARTNER)
    assert b.BorrowingAction.RETURN_BY_PATRON in b.allowed_actions(BS.REPORTED_LOST)
    assert b.BorrowingAction.RETURN_BY_PATRON not in b.allowed_actions(BS.RECEIVED)
    assert lnd.allowed_actions(LS.NEW)[:4] == [
        lnd.LendingAction.WILL_SUPPLY,
        lnd.LendingAction.ADD_CONDITIONS,
        lnd.LendingAction.UNFILL,
        lnd.LendingAction.SHIP,
    ]
    assert lnd.LendingAction.RECALL in lnd.allowed_actions(LS.SHIPPED)
    assert lnd.LendingAction.CHECK_IN not in lnd.allowed_actions(LS.NEW)


def test_next_partner_skips_those_already_asked() -> None:
    assert b.next_partner([7, 8, 9], 0, tried=frozenset({7})) == 1
    assert b.next_partner([7, 8, 9], 0, tried=frozenset({7, 8})) == 2
    assert b.next_partner([7, 8, 9], 2, tried=frozenset({7, 8, 9})) is None
    assert b.next_partner([], -1, tried=frozenset()) is None


def test_renewals_stop_at_42_days() -> None:
    start = datetime(2026, 3, 1, tzinfo=UTC)
    first_due = start + timedelta(days=20)
    wanted = b.wanted_due_date(loan_started=start, first_due=first_due, current_due=first_due)
    assert wanted == start + timedelta(days=40)
    assert b.renewal_allowed(loan_started=start, wanted_due=wanted)
    again = b.wanted_due_date(loan_started=start, first_due=first_due, current_due=wanted)
    assert not b.renewal_allowed(loan_started=start, wanted_due=again)
    assert b.renewal_allowed(loan_started=start, wanted_due=start + timedelta(days=42))
