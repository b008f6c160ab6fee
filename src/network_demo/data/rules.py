"""The demo's fulfilment rules (terms of use, docs/FULFILMENT_RULES.md): the same shape at
every member, so the demo shows fines, courtesy/overdue notices and lost loans by the owner's
rules. Amounts are in the members' currency (USD)."""

from __future__ import annotations

from typing import Any


def policy_of(location: str) -> str:
    """The item policy the rules match on: reference copies, reserve copies, books."""
    return {"REFERENCE": "REFERENCE", "RESERVE": "RESERVE"}.get(location, "BOOK")


def demo_rules(library_codes: list[str]) -> list[dict[str, Any]]:
    rules: list[dict[str, Any]] = [
        {"name": "Reserve copies", "position": 10, "item_policies": ["RESERVE"],
         "loan_period_days": 3, "renewals_allowed": 0, "pickup_allowed": False,
         "fine_per_day": "1.00", "fine_maximum": "15.00", "lost_after_days_overdue": 30,
         "lost_replacement_fee": "60.00", "lost_processing_fee": "10.00"},
        {"name": "Faculty", "position": 20, "user_groups": ["FACULTY"], "loan_period_days": 90,
         "renewals_allowed": 5, "renewal_period_days": 60, "lost_after_days_overdue": 120,
         "lost_replacement_fee": "60.00"},
        {"name": "Other members' patrons", "position": 30, "network_patrons": True,
         "loan_period_days": 21, "renewals_allowed": 1, "fine_per_day": "0.25",
         "fine_grace_days": 1, "fine_maximum": "10.00", "lost_after_days_overdue": 45,
         "lost_replacement_fee": "60.00", "lost_processing_fee": "10.00"},
        {"name": "Books", "position": 100, "loan_period_days": 28, "fine_per_day": "0.20",
         "fine_grace_days": 2, "fine_maximum": "8.00", "lost_after_days_overdue": 60,
         "lost_replacement_fee": "50.00", "lost_processing_fee": "10.00"},
    ]  # fmt: skip
    if len(library_codes) > 1:
        # A library's own rule: its oversize books go out for two weeks only.
        rules.append(
            {"name": "Oversize", "owner": library_codes[1], "position": 10,
             "locations": ["OVERSIZE"], "loan_period_days": 14, "fine_per_day": "0.50",
             "fine_maximum": "10.00", "lost_after_days_overdue": 45,
             "lost_replacement_fee": "80.00"}
        )  # fmt: skip
    return rules
