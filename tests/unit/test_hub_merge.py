"""Merging members' answers: filter, counters, filter list, balances (no I/O)."""

from __future__ import annotations

from typing import Any

from network_hub.activity.merge import MemberAnswer, merge_activity
from network_hub.members.failures import MemberFailure, UnavailableCode
from network_hub.network_file import Member

B = Member("UNIB", "University B", "http://b.invalid")
C = Member("UNIC", "University C", "http://c.invalid")
D = Member("UNID", "University D", "http://d.invalid")


def loan(barcode: str) -> dict[str, Any]:
    return {"barcode": barcode, "title": "T"}


def fee(balance: str, currency: str = "USD") -> dict[str, Any]:
    return {"type": "OVERDUE", "balance": balance, "original": balance, "currency": currency}


def answers() -> list[MemberAnswer]:
    return [
        MemberAnswer(B, [loan("b1"), loan("b2")], [{"title": "R"}], [fee("1.10")]),
        MemberAnswer(C, [loan("c1")], [], [fee("0.20"), fee("3.00", "EUR")]),
        MemberAnswer(D, [], [], []),  # linked, but no activity
    ]


def test_all_shows_every_row_named_by_its_institution() -> None:
    view = merge_activity(
        answers(), [], patron_id="P1", home=("UNIA", "P1"), institution_filter=None
    )
    assert [(r["institutionCode"], r["barcode"]) for r in view.loans] == [
        ("UNIB", "b1"),
        ("UNIB", "b2"),
        ("UNIC", "c1"),
    ]
    assert {r["institutionName"] for r in view.loans} == {"University B", "University C"}
    assert (view.loan_count, view.request_count, view.has_fees) == (3, 1, True)
    assert [(t.amount, t.currency) for t in view.fee_balances] == [("3.00", "EUR"), ("1.30", "USD")]
    assert view.has_network_activity


def test_filter_follows_counters_but_not_the_filter_list() -> None:
    view = merge_activity(
        answers(), [], patron_id="P1", home=("UNIA", "P1"), institution_filter="UNIC"
    )
    assert [r["barcode"] for r in view.loans] == ["c1"]
    assert (view.loan_count, view.request_count) == (1, 0)
    assert [(t.amount, t.currency) for t in view.fee_balances] == [("3.00", "EUR"), ("0.20", "USD")]
    # Only institutions with activity are offered, whatever the filter.
    assert [(s.code, s.loan_count, s.request_count, s.fee_count) for s in view.institutions] == [
        ("UNIB", 2, 1, 1),
        ("UNIC", 1, 0, 2),
    ]
    assert view.has_network_activity


def test_failures_stand_beside_the_answers() -> None:
    failure = MemberFailure("UNIE", "University E", UnavailableCode.MEMBER_TIMEOUT)
    view = merge_activity(
        [], [failure], patron_id="P1", home=("UNIA", "P1"), institution_filter=None
    )
    assert not view.has_network_activity
    assert view.unavailable[0].as_entry() == {
        "institutionCode": "UNIE",
        "institutionName": "University E",
        "code": "MEMBER_TIMEOUT",
        "message": "The institution did not answer in time",
    }
