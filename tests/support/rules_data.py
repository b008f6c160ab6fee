"""Fulfilment rules test data: patrons x items x rules for the rules matrix (issue 11), and
GraphQL documents for rules, terms of use and lost loans."""

from __future__ import annotations

from typing import Any

from tests.support.builders import holding, patron, record, staff, two_library_institution

TERMS_FIELDS = (
    "ruleId ruleName loanable loanPeriodDays renewalsAllowed renewalPeriodDays requestable "
    "pickupAllowed holdShelfDays finePerDay { amount currency } fineGraceDays "
    "fineMaximum { amount currency } lostAfterDaysOverdue lostReplacementFee { amount } "
    "lostProcessingFee { amount } lostFeeRefunded"
)
RULE_FIELDS = (
    "id name ownerLibraryCode position userGroups networkPatrons "
    "statCategories { category value } libraries locations itemPolicies loanPeriodDays "
    "renewalsAllowed finePerDay { amount currency } lostAfterDaysOverdue"
)
CREATE_RULE = f"""
mutation($input: FulfilmentRuleInput!) {{
  createFulfilmentRule(input: $input) {{ {RULE_FIELDS} }}
}}"""
UPDATE_RULE = f"""
mutation($id: ID!, $input: FulfilmentRuleInput!) {{
  updateFulfilmentRule(id: $id, input: $input) {{ {RULE_FIELDS} }}
}}"""
DELETE_RULE = "mutation($id: ID!) { deleteFulfilmentRule(id: $id) }"
RULES = f"{{ fulfilmentRules {{ {RULE_FIELDS} }} }}"
TERMS = f"""
query($patron: String!, $barcode: String!) {{
  termsOfUse(patron: $patron, barcode: $barcode) {{
    ruleOwnerLibraryCode terms {{ {TERMS_FIELDS} }}
  }}
}}"""
DECLARE_LOST = """
mutation($id: ID!) { declareLost(loanId: $id) { id status declaredLostAt } }"""

#: Institution rules (tried after the item library's own), then LAW's own rules.
INSTITUTION_RULES: list[dict[str, Any]] = [
    {"name": "Faculty", "position": 10, "userGroups": ["FACULTY"], "loanPeriodDays": 90,
     "renewalsAllowed": 5},
    {"name": "Honours", "position": 20,
     "statCategories": [{"category": "PROGRAM", "value": "HONOURS"}], "loanPeriodDays": 42},
    {"name": "DVD", "position": 30, "itemPolicies": ["DVD"], "loanPeriodDays": 7,
     "renewalsAllowed": 0, "finePerDay": "1.00"},
    {"name": "Network patrons", "position": 40, "networkPatrons": True, "loanPeriodDays": 14},
    {"name": "Main stacks", "position": 50, "libraries": ["MAIN"], "locations": ["STACKS"],
     "loanPeriodDays": 21, "finePerDay": "0.25", "fineGraceDays": 2, "fineMaximum": "10.00",
     "lostAfterDaysOverdue": 30, "lostReplacementFee": "50.00", "lostProcessingFee": "10.00"},
]  # fmt: skip
LAW_RULES: list[dict[str, Any]] = [
    {"name": "Law honours", "ownerLibraryCode": "LAW", "position": 10,
     "statCategories": [{"category": "PROGRAM", "value": "HONOURS"}], "loanPeriodDays": 60},
    {"name": "Law reserve", "ownerLibraryCode": "LAW", "position": 20,
     "locations": ["RESERVE"], "loanPeriodDays": 2, "renewalsAllowed": 0,
     "requestable": False, "pickupAllowed": False},
]  # fmt: skip


def matrix_institution() -> dict[str, Any]:
    """UNIA (FULL independence) with MAIN and LAW, a LAW-scoped fulfilment administrator,
    patrons of several groups and statistical categories, and items of several policies."""
    data = two_library_institution("UNIA", fulfillment_independence_model="FULL")
    data["users"] += [
        staff("unia-law-admin", role="FULFILLMENT_ADMINISTRATOR", libraries=["LAW"]),
        patron("UG"),
        patron("FAC", user_group="FACULTY"),
        patron("HON", stat_categories=[{"category": "PROGRAM", "value": "HONOURS"}]),
        patron(
            "LAWSTAT",
            stat_categories=[{"owner": "LAW", "category": "PROGRAM", "value": "HONOURS"}],
        ),
        patron("UNIB:B-1", linked={"source_institution": "UNIB", "source_user_id": "B-1"}),
    ]
    data["records"] += [
        record(
            "rec-matrix",
            holdings=[
                holding("MAIN", "M-BOOK", policy="BOOK"),
                holding("MAIN", "M-DVD", policy="DVD", location="MEDIA"),
                holding("MAIN", "M-REF", location="STACKS", loanable=False),
                holding("LAW", "L-BOOK", policy="BOOK"),
                holding("LAW", "L-RES", policy="BOOK", location="RESERVE"),
            ],
        )
    ]
    return data


#: (patron, item) -> (rule name or None, loan period days, loanable)
MATRIX: dict[tuple[str, str], tuple[str | None, int, bool]] = {
    ("UG", "M-BOOK"): ("Main stacks", 21, True),
    ("UG", "M-DVD"): ("DVD", 7, True),
    ("UG", "M-REF"): ("Main stacks", 21, False),  # the item's own flag still holds
    ("UG", "L-BOOK"): (None, 28, True),  # nothing matches: the item's own policy
    ("FAC", "M-BOOK"): ("Faculty", 90, True),
    ("FAC", "M-DVD"): ("Faculty", 90, True),  # earlier position wins
    ("FAC", "L-BOOK"): ("Faculty", 90, True),
    ("FAC", "L-RES"): ("Law reserve", 2, True),  # the library's own rules come first
    ("HON", "M-BOOK"): ("Honours", 42, True),
    ("HON", "L-BOOK"): ("Law honours", 60, True),  # institution category feeds LAW rules
    ("LAWSTAT", "L-BOOK"): ("Law honours", 60, True),  # LAW's category feeds LAW's rules
    ("LAWSTAT", "M-BOOK"): ("Main stacks", 21, True),  # ... and no institution rule
    ("UNIB:B-1", "M-BOOK"): ("Network patrons", 14, True),
    ("UNIB:B-1", "L-RES"): ("Law reserve", 2, True),
}
