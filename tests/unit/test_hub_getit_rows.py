"""Get It's record projection answers exactly as graphql-core's generic path does."""

from __future__ import annotations

from types import SimpleNamespace
from typing import Any

import pytest
import strawberry
from strawberry.schema.config import StrawberryConfig
from strawberry.tools import merge_types

from network_common.graphql_errors import QuietSchema, standard_extensions
from network_common.vocabulary import AvailabilityDisplay, RemoteRegister
from network_hub.getit import service
from network_hub.getit.fetch import MemberAnswer
from network_hub.getit.shaping import GetItShape
from network_hub.members.failures import MemberFailure, UnavailableCode
from network_hub.schema import getit_rows
from network_hub.schema.schema import QUERIES, build_schema, resolve_attribute

FEES = [
    {"kind": "LOAN_FEE", "amount": "1.50", "currency": "EUR"},
    {"kind": "OVERDUE_FINE_PER_DAY", "amount": "0.20", "currency": "EUR"},
]
TERMS = {
    "loanPeriodDays": 28,
    "renewalsAllowed": 3,
    "requestable": True,
    "fees": FEES,
    "renewalPeriodDays": 14,
    "pickupAllowed": True,
    "holdShelfDays": 7,
    "fineGraceDays": 1,
    "lostAfterDaysOverdue": None,
    "lostFeeRefunded": False,
}


def record(code: str, rid: str, *, requestable: bool = True) -> dict[str, Any]:
    items = [
        {
            "barcode": f"{code}-{rid}-{k}",
            "status": "ON_LOAN" if k == 1 else "ON_SHELF",
            "dueAt": "2026-12-01T10:00:00+00:00" if k == 1 else None,
            "loanable": k != 2,
            "terms": TERMS if k != 2 else None,
        }
        for k in range(3)
    ]
    return {
        "recordId": rid,
        "found": True,
        "totalItems": 3,
        "availableItems": 2,
        "requestable": requestable,
        "holdings": [
            {
                "libraryCode": "MAIN",
                "libraryName": f"{code} Main",
                "location": "STACKS",
                "callNumber": None,
                "items": items,
            }
        ],
        "pickupPoints": [
            {"institutionCode": code, "libraryCode": "MAIN", "libraryName": "Main"},
            {"institutionCode": code, "libraryCode": None, "libraryName": None},
        ],
    }


def answer(code: str, setting: str, ids: list[str], *, personalised: bool) -> MemberAnswer:
    return MemberAnswer(
        code=code,
        name=f"Member {code}",
        setting=RemoteRegister(setting),
        viewer_linked=personalised,
        personalised=personalised,
        records={rid: record(code, rid) for rid in ids},
        display=AvailabilityDisplay.HOLDINGS if code == "HOME" else None,
    )


IDS = ["rec-1", "rec-2", "rec-3"]
ORDER = ["HOME", "MAN", "AUT", "NON", "GONE"]
GONE = MemberFailure("GONE", "Member GONE", UnavailableCode.MEMBER_TIMEOUT)


def result(
    *,
    patron: bool = True,
    display: AvailabilityDisplay = AvailabilityDisplay.HOLDINGS,
    home_answers: bool = True,
) -> service.GetItResult:
    answers = {
        "MAN": answer("MAN", "MANUAL", IDS[:2], personalised=False),  # rec-3: not held
        "AUT": answer("AUT", "AUTO", IDS, personalised=True),
        "NON": answer("NON", "NONE", IDS, personalised=True),
    }
    failures = [GONE]
    if home_answers:
        answers["HOME"] = answer("HOME", "MANUAL", IDS, personalised=patron)
    else:
        failures.append(MemberFailure("HOME", "Member HOME", UnavailableCode.MEMBER_ERROR))
    viewer = service.Viewer("HOME", "P1" if patron else None)
    return service._result(GetItShape.FULL, viewer, display, IDS, answers, failures, ORDER)


def generic_schema() -> strawberry.Schema:
    """The hub's schema with graphql-core's own execution (no shortcut at all)."""
    return QuietSchema(
        query=merge_types("Query", QUERIES),
        config=StrawberryConfig(default_resolver=resolve_attribute),
        extensions=standard_extensions(introspection=True),
    )


FAST = build_schema()
SLOW = generic_schema()
CONTEXT = SimpleNamespace(auth_error=None, runtime=None, principal=None)

SECTION = """
    institutionCode institutionName found available availableCount totalCount access
    registration registerOption requestable resourceSharing
    holdings {
      libraryCode libraryName location callNumber
      items {
        barcode status dueAt loanable
        terms {
          loanPeriodDays renewalsAllowed requestable fees { kind amount currency }
          renewalPeriodDays pickupAllowed holdShelfDays fineGraceDays lostAfterDaysOverdue
          lostFeeRefunded
        }
      }
    }
    pickupPoints { institutionCode libraryCode libraryName }
"""
EVERYTHING = f"""
{{ getIt(recordIds: ["x"], homeInstitution: "HOME") {{
    shape homeInstitution availabilityDisplay viewer
    records {{ recordId home {{ {SECTION} }} others {{ {SECTION} }} }}
    unavailable {{ institutionCode institutionName code message }} }} }}
"""
BRIEF_PAGE = """
{ getIt(recordIds: ["x"], homeInstitution: "HOME") {
    availabilityDisplay
    records { recordId
      home { institutionCode available availableCount registration requestable }
      others { institutionCode available availableCount registration requestable } }
    unavailable { institutionCode code } } }
"""
VARIANTS = """
query ($skip: Boolean!, $with: Boolean!) {
  getIt(recordIds: ["x"], homeInstitution: "HOME") {
    records {
      __typename
      id: recordId
      recordId
      home { ...Section where: institutionCode }
      others {
        __typename
        ... on GetItSection { code: institutionCode access }
        availableCount @skip(if: $skip)
        holdings @include(if: $with) {
          __typename
          items { barcode terms { __typename days: loanPeriodDays fees { amount } } }
          items { status dueAt }
        }
        pickupPoints { libraryName }
      }
      alsoOthers: others { registerOption }
    }
  }
}
fragment Section on GetItSection {
  access holdings { callNumber items { terms { fees { kind } lostAfterDaysOverdue } } }
}
"""


@pytest.fixture
def taken(monkeypatch: pytest.MonkeyPatch) -> list[int]:
    """The sizes of the records lists the shortcut answered (none: it gave up)."""
    answered: list[int] = []
    real = getit_rows.project_rows

    def project_rows(rows: list[Any], plan: Any) -> Any:
        out = real(rows, plan)
        if out is not None:
            answered.append(len(out))
        return out

    monkeypatch.setattr(getit_rows, "project_rows", project_rows)
    return answered


def serve(monkeypatch: pytest.MonkeyPatch, answer_: service.GetItResult) -> None:
    async def get_it(**_kwargs: Any) -> service.GetItResult:
        return answer_

    monkeypatch.setattr(service, "resolve_viewer", lambda **_kwargs: None)
    monkeypatch.setattr(service, "get_it", get_it)


async def both(query: str, variables: dict[str, Any] | None = None) -> tuple[Any, Any]:
    fast = await FAST.execute(query, variable_values=variables, context_value=CONTEXT)
    slow = await SLOW.execute(query, variable_values=variables, context_value=CONTEXT)
    return fast, slow


@pytest.mark.parametrize(
    ("patron", "display", "home_answers"),
    [
        (True, AvailabilityDisplay.HOLDINGS, True),
        (False, AvailabilityDisplay.HOLDINGS, True),
        (True, AvailabilityDisplay.AVAILABILITY_ONLY, True),
        (True, AvailabilityDisplay.HOLDINGS, False),  # home section null, home unavailable
    ],
)
@pytest.mark.parametrize("query", [EVERYTHING, BRIEF_PAGE])
async def test_same_answer_as_graphql_core(
    query: str,
    patron: bool,
    display: AvailabilityDisplay,
    home_answers: bool,
    monkeypatch: pytest.MonkeyPatch,
    taken: list[int],
) -> None:
    serve(monkeypatch, result(patron=patron, display=display, home_answers=home_answers))
    fast, slow = await both(query)
    assert taken == [3]
    assert fast.errors is None
    assert slow.errors is None
    assert fast.data == slow.data
    got = fast.data["getIt"]
    assert [u["institutionCode"] for u in got["unavailable"]] == (
        ["GONE"] if home_answers else ["GONE", "HOME"]
    )
    assert (got["records"][0]["home"] is None) is not home_answers


@pytest.mark.parametrize(("skip", "with_"), [(True, True), (False, False), (False, True)])
async def test_aliases_fragments_typename_skip_include(
    skip: bool, with_: bool, monkeypatch: pytest.MonkeyPatch, taken: list[int]
) -> None:
    serve(monkeypatch, result())
    fast, slow = await both(VARIANTS, {"skip": skip, "with": with_})
    assert taken == [3]
    assert fast.errors is None
    assert fast.data == slow.data
    first = fast.data["getIt"]["records"][0]
    assert first["__typename"] == "GetItRecord"
    assert first["id"] == first["recordId"] == "rec-1"
    assert ("availableCount" in first["others"][0]) is not skip
    assert ("holdings" in first["others"][0]) is with_
    # key order follows the selection, as graphql-core's does
    assert list(first) == ["__typename", "id", "recordId", "home", "others", "alsoOthers"]


@pytest.mark.parametrize(
    ("where", "value"),
    [
        ("barcode", None),  # null in a non-null field: the error and null propagation
        ("loanable", "yes"),  # a value Boolean refuses
        ("status", "NOT_A_STATUS"),  # a value the enum refuses
        ("terms", ["not", "a", "dict"]),
    ],
)
async def test_what_it_cannot_walk_is_answered_as_usual(
    where: str, value: Any, monkeypatch: pytest.MonkeyPatch, taken: list[int]
) -> None:
    answer_ = result()
    item = answer_.records[1]["others"][1]["holdings"][0]["items"][0]
    answer_.records[1]["others"][1]["holdings"][0]["items"][0] = {**item, where: value}
    serve(monkeypatch, answer_)
    fast, slow = await both(EVERYTHING)
    assert taken == []  # gave up: the generic path answered
    assert fast.errors is not None
    assert slow.errors is not None
    assert [e.message for e in fast.errors] == [e.message for e in slow.errors]
    assert [e.path for e in fast.errors] == [e.path for e in slow.errors]
    assert fast.data == slow.data


async def test_values_the_scalars_convert_are_converted_alike(
    monkeypatch: pytest.MonkeyPatch, taken: list[int]
) -> None:
    answer_ = result()
    holding = answer_.records[0]["others"][1]["holdings"][0]
    item = holding["items"][0]
    terms = {**item["terms"], "loanPeriodDays": 14.0, "renewalsAllowed": True}
    holding["items"][0] = {**item, "barcode": 12345, "loanable": 1, "terms": terms}
    serve(monkeypatch, answer_)
    fast, slow = await both(EVERYTHING)
    assert taken == [3]
    assert fast.errors is None
    assert fast.data == slow.data
    got = fast.data["getIt"]["records"][0]["others"][1]["holdings"][0]["items"][0]
    assert (got["barcode"], got["loanable"]) == ("12345", True)
    assert (got["terms"]["loanPeriodDays"], got["terms"]["renewalsAllowed"]) == (14, 1)
