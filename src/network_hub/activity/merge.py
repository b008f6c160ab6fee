"""Merging members' Network Activity answers into one view. Plain Python: no I/O.

Rows stay the dicts the members sent (their keys are the network API's field names) with the
institution's code and name added, so the hub neither copies nor re-types hundreds of rows.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from typing import Any

from ..members.failures import MemberFailure
from ..network_file import Member

Row = dict[str, Any]


@dataclass(frozen=True, slots=True)
class MoneyTotal:
    amount: str
    currency: str


@dataclass(frozen=True, slots=True)
class InstitutionSummary:
    code: str
    name: str
    loan_count: int
    request_count: int
    fee_count: int
    fee_balances: tuple[MoneyTotal, ...]


@dataclass(frozen=True, slots=True)
class MemberAnswer:
    member: Member
    loans: list[Row]
    requests: list[Row]
    fees: list[Row]


@dataclass
class ActivityView:
    patron_id: str
    home_institution: str
    home_user_id: str
    institution_filter: str | None
    loans: list[Row] = field(default_factory=list)
    requests: list[Row] = field(default_factory=list)
    fees: list[Row] = field(default_factory=list)
    institutions: list[InstitutionSummary] = field(default_factory=list)
    unavailable: list[MemberFailure] = field(default_factory=list)
    fee_balances: tuple[MoneyTotal, ...] = ()

    @property
    def loan_count(self) -> int:
        return len(self.loans)

    @property
    def request_count(self) -> int:
        return len(self.requests)

    @property
    def has_fees(self) -> bool:
        return bool(self.fees)

    @property
    def has_network_activity(self) -> bool:
        """The "green dot": any activity anywhere, whatever the filter."""
        return bool(self.institutions)


def _totals(fees: Sequence[Row]) -> tuple[MoneyTotal, ...]:
    sums: dict[str, Decimal] = {}
    for fee in fees:
        try:
            amount = Decimal(str(fee["balance"]))
        except (InvalidOperation, KeyError):
            continue
        currency = str(fee.get("currency", ""))
        sums[currency] = sums.get(currency, Decimal(0)) + amount
    return tuple(MoneyTotal(str(v), c) for c, v in sorted(sums.items()))


def _tag(rows: list[Row], code: str, name: str) -> list[Row]:
    for row in rows:
        row["institutionCode"] = code
        row["institutionName"] = name
    return rows


def merge_activity(
    answers: Sequence[MemberAnswer],
    failures: Sequence[MemberFailure],
    *,
    patron_id: str,
    home: tuple[str, str],
    institution_filter: str | None,
) -> ActivityView:
    """One view from the members' answers (in network-file order), following the filter."""
    view = ActivityView(
        patron_id=patron_id,
        home_institution=home[0],
        home_user_id=home[1],
        institution_filter=institution_filter,
        unavailable=list(failures),
    )
    for answer in answers:
        code, name = answer.member.code, answer.member.name
        if not (answer.loans or answer.requests or answer.fees):
            continue  # the filter list offers only institutions with activity
        view.institutions.append(
            InstitutionSummary(
                code=code,
                name=name,
                loan_count=len(answer.loans),
                request_count=len(answer.requests),
                fee_count=len(answer.fees),
                fee_balances=_totals(answer.fees),
            )
        )
        if institution_filter is not None and institution_filter != code:
            continue
        view.loans += _tag(answer.loans, code, name)
        view.requests += _tag(answer.requests, code, name)
        view.fees += _tag(answer.fees, code, name)
    view.fee_balances = _totals(view.fees)
    return view
