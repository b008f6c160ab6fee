"""The three demo members and their settings.

The settings differ on purpose, so that the demo shows each branch of the product:
Get It under ``AUTO`` / ``MANUAL`` / ``NONE`` remote registration, a member whose patrons see
others as ``AVAILABILITY_ONLY``, one member with ``FULL`` library independence across two
libraries, and pickup-anywhere / return-anywhere lists that are not symmetric.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True, slots=True)
class LibraryProfile:
    code: str
    name: str
    desks: tuple[tuple[str, str, bool], ...]  # (code, name, is a pickup point)


@dataclass(frozen=True, slots=True)
class MemberProfile:
    code: str
    name: str
    domain: str  # e-mail domain of its people
    id_prefix: str  # patron primary ids and item barcodes start with it
    settings: dict[str, Any]
    libraries: tuple[LibraryProfile, ...]

    @property
    def slug(self) -> str:
        return self.code.lower()


PROFILES: tuple[MemberProfile, ...] = (
    MemberProfile(
        code="NORTHU",
        name="Northern University",
        domain="northu.example.edu",
        id_prefix="NU",
        settings={
            "uresolver_remote_register": "AUTO",
            "fulfillment_independence_model": "FULL",
            "limit_user_search_by_library_scope": True,
            "separate_patron_notifications_by_library": True,
            "network_availability_display": "HOLDINGS",
            "cross_consortia_identifiers": True,
            "pickup_anywhere": ["SOUTHC", "EASTC"],
            "return_anywhere": True,
        },
        libraries=(
            LibraryProfile(
                "MAIN",
                "Main Library",
                (
                    ("MAIN-CIRC", "Main Circulation Desk", True),
                    ("MAIN-BACK", "Main Back Office", False),
                ),
            ),
            LibraryProfile(
                "SCI", "Science Library", (("SCI-CIRC", "Science Circulation Desk", True),)
            ),
        ),
    ),
    MemberProfile(
        code="SOUTHC",
        name="Southern College",
        domain="southc.example.edu",
        id_prefix="SC",
        settings={
            "uresolver_remote_register": "MANUAL",
            "fulfillment_independence_model": "NONE",
            "network_availability_display": "HOLDINGS",
            "cross_consortia_identifiers": False,
            "pickup_anywhere": ["NORTHU", "EASTC"],
            "return_anywhere": True,
        },
        libraries=(
            LibraryProfile(
                "COLLEGE", "College Library", (("COLLEGE-CIRC", "College Circulation", True),)
            ),
        ),
    ),
    MemberProfile(
        code="EASTC",
        name="East Campus",
        domain="eastc.example.edu",
        id_prefix="EC",
        settings={
            "uresolver_remote_register": "NONE",
            "fulfillment_independence_model": "NONE",
            "network_availability_display": "AVAILABILITY_ONLY",
            "cross_consortia_identifiers": False,
            "pickup_anywhere": ["NORTHU"],
            "return_anywhere": False,
        },
        libraries=(
            LibraryProfile(
                "EAST", "East Campus Library", (("EAST-CIRC", "East Circulation", True),)
            ),
        ),
    ),
)


def profile(code: str) -> MemberProfile:
    for p in PROFILES:
        if p.code == code:
            return p
    raise KeyError(code)


def demo_key(member: str, who: str, *, seed: int) -> str:
    """A well-formed, deterministic API key (``lfn_<id>_<secret>``) for demo data only."""
    key_id = f"demo-{member.lower()}-{who}"
    secret = hashlib.sha256(f"lfn-demo:{seed}:{key_id}".encode()).hexdigest()[:40]
    return f"lfn_{key_id}_{secret}"
