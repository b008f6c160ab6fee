"""Small builders for load-file data. Each returns plain dicts a test can tweak."""

from __future__ import annotations

from typing import Any


def api_key(owner: str) -> str:
    """A deterministic, well-formed API key for test users (id part has no underscores)."""
    return f"lfn_{owner.lower().replace('_', '-')}_secret-{owner.lower()}-0123456789abcdef"


def institution(
    code: str = "UNIA",
    *,
    name: str | None = None,
    currency: str = "USD",
    **settings: Any,
) -> dict[str, Any]:
    return {
        "code": code,
        "name": name or f"University {code}",
        "currency": currency,
        "reply_to_email": f"circ@{code.lower()}.example.edu",
        "settings": settings,
    }


def library(
    code: str, *, desks: list[dict[str, Any]] | None = None, **extra: Any
) -> dict[str, Any]:
    return {
        "code": code,
        "name": f"{code.title()} Library",
        "reply_to_email": f"{code.lower()}@lib.example.edu",
        "desks": desks if desks is not None else [desk(f"{code}-DESK", pickup_point=True)],
        **extra,
    }


def desk(code: str, *, pickup_point: bool = False) -> dict[str, Any]:
    return {"code": code, "name": f"Desk {code}", "pickup_point": pickup_point}


def patron(primary_id: str, *, library: str | None = None, **extra: Any) -> dict[str, Any]:
    return {
        "primary_id": primary_id,
        "kind": "PATRON",
        "first_name": primary_id.title(),
        "last_name": "Reader",
        "email": f"{primary_id.lower()}@example.edu",
        "user_group": "UNDERGRAD",
        "patron_roles": [{"library": library}],
        **extra,
    }


def staff(
    primary_id: str,
    *,
    role: str = "CIRCULATION_DESK_OPERATOR",
    libraries: list[str] | None = None,
    consortial_services: bool = False,
    roles: list[dict[str, Any]] | None = None,
) -> dict[str, Any]:
    return {
        "primary_id": primary_id,
        "kind": "STAFF",
        "first_name": primary_id.title(),
        "last_name": "Staff",
        "staff_roles": roles
        or [{"role": role, "libraries": libraries, "consortial_services": consortial_services}],
        "api_keys": [{"key": api_key(primary_id), "label": "test"}],
    }


def record(rid: str, *, holdings: list[dict[str, Any]], title: str | None = None) -> dict[str, Any]:
    return {
        "network_record_id": rid,
        "title": title or f"Title {rid}",
        "author": "Author",
        "holdings": holdings,
    }


def holding(
    library: str, *barcodes: str, location: str = "STACKS", **item_extra: Any
) -> dict[str, Any]:
    return {
        "library": library,
        "location": location,
        "call_number": f"QA {len(barcodes)}.{library}",
        "items": [{"barcode": b, **item_extra} for b in barcodes],
    }


def two_library_institution(code: str = "UNIA", **settings: Any) -> dict[str, Any]:
    """MAIN and LAW libraries, an admin, desk operators for each library, two patrons,
    and a few items in each library. Keys: ``api_key('<code>-admin')`` etc."""
    c = code.lower()
    return {
        "institution": institution(code, **settings),
        "libraries": [library("MAIN"), library("LAW")],
        "users": [
            staff(
                f"{c}-admin",
                roles=[
                    {"role": "FULFILLMENT_ADMINISTRATOR", "libraries": None},
                    {
                        "role": "CIRCULATION_DESK_MANAGER",
                        "libraries": None,
                        "consortial_services": True,
                    },
                    {"role": "USER_ADMINISTRATOR", "libraries": None},
                    {"role": "REQUESTS_OPERATOR", "libraries": None},
                ],
            ),
            staff(f"{c}-main-op", libraries=["MAIN"]),
            staff(f"{c}-law-op", libraries=["LAW"]),
            patron("P1"),
            patron("P2"),
        ],
        "clients": [{"label": "discovery", "key": api_key(f"{c}-discovery")}],
        "records": [
            record("rec-1", holdings=[holding("MAIN", "M-1", "M-2"), holding("LAW", "L-1")]),
            record(
                "rec-2", holdings=[holding("MAIN", "M-3"), holding("LAW", "L-2", loanable=False)]
            ),
        ],
    }
