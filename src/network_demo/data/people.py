"""Demo people: each member's patrons, its staff (with API keys) and its discovery client."""

from __future__ import annotations

import random
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

from network_demo.data.members import MemberProfile, demo_key
from network_demo.data.names import FIRST_NAMES, LAST_NAMES, USER_GROUPS

PATRONS_PER_MEMBER = 40


@dataclass(frozen=True, slots=True)
class StaffKeys:
    """The demo API keys of one member (printed by the demo; never use them elsewhere)."""

    manager: str  # circulation desk manager with the consortial services privilege
    operator: str  # desk operator without it: refused Network Activity
    discovery: str  # trusted discovery client (patron tokens for Get It)


def patrons(member: MemberProfile, rng: random.Random, today: date) -> list[dict[str, Any]]:
    """``PATRONS_PER_MEMBER`` home patrons with the private details that never cross."""
    out: list[dict[str, Any]] = []
    for i in range(PATRONS_PER_MEMBER):
        first, last = rng.choice(FIRST_NAMES), rng.choice(LAST_NAMES)
        patron: dict[str, Any] = {
            "primary_id": f"{member.id_prefix}-{1001 + i}",
            "kind": "PATRON",
            "first_name": first,
            "last_name": last,
            "email": f"{first.lower()}.{last.lower()}{i + 1}@{member.domain}",
            "user_group": rng.choice(USER_GROUPS),
            "expiry_date": (today + timedelta(days=rng.randint(120, 1200))).isoformat(),
            "address": f"{rng.randint(1, 250)} College Road, {member.name} Campus",
            "patron_roles": [{"library": None}],
        }
        # Private details: shown to the member's own staff, never to the network.
        if rng.random() < 0.15:
            patron["notes"] = [{"text": "Prefers e-mail over phone calls."}]
        if rng.random() < 0.08:
            patron["blocks"] = [{"description": "Library card reported lost"}]
        if rng.random() < 0.2:
            patron["stat_categories"] = [{"category": "FACULTY_DEPT", "value": "HISTORY"}]
        out.append(patron)
    return out


def staff(member: MemberProfile, *, seed: int) -> tuple[list[dict[str, Any]], StaffKeys]:
    """Staff users: a network-enabled manager, a plain operator, one operator per library."""
    keys = StaffKeys(
        manager=demo_key(member.code, "circ-manager", seed=seed),
        operator=demo_key(member.code, "desk-operator", seed=seed),
        discovery=demo_key(member.code, "discovery", seed=seed),
    )

    def user(pid: str, first: str, roles: list[dict[str, Any]], key: str) -> dict[str, Any]:
        return {
            "primary_id": pid,
            "kind": "STAFF",
            "first_name": first,
            "last_name": "Staff",
            "email": f"{pid}@{member.domain}",
            "staff_roles": roles,
            "api_keys": [{"key": key, "label": "demo"}],
        }

    users = [
        user(
            f"{member.slug}-circ-manager",
            "Morgan",
            [
                {
                    "role": "CIRCULATION_DESK_MANAGER",
                    "libraries": None,
                    "consortial_services": True,
                },
                {"role": "USER_ADMINISTRATOR", "libraries": None, "consortial_services": True},
                {"role": "REQUESTS_OPERATOR", "libraries": None},
                {"role": "FULFILLMENT_ADMINISTRATOR", "libraries": None},
                # Resource sharing (borrowing and lending requests) for the whole institution.
                {"role": "FULFILLMENT_SERVICES_MANAGER", "libraries": None},
            ],
            keys.manager,
        ),
        user(
            f"{member.slug}-desk-operator",
            "Riley",
            [{"role": "CIRCULATION_DESK_OPERATOR", "libraries": None}],
            keys.operator,
        ),
    ]
    for lib in member.libraries:
        who = f"{lib.code.lower()}-operator"
        users.append(
            user(
                f"{member.slug}-{who}",
                "Sam",
                [{"role": "CIRCULATION_DESK_OPERATOR", "libraries": [lib.code]}],
                demo_key(member.code, who, seed=seed),
            )
        )
    return users, keys
