"""What a viewer sees of each member for one record (DOMAIN §5): plain data in, dicts out.

The home member's ``network_availability_display`` and each remote member's
``uresolver_remote_register`` decide a remote section:

=================  ==========  =========================================================
home display       remote      viewer → section
=================  ==========  =========================================================
AVAILABILITY_ONLY  any         available yes/no and how many; nothing else
HOLDINGS           NONE        anonymous view; no register, no request options
HOLDINGS           MANUAL      anonymous: anonymous view; patron: + Register until linked,
                               then terms of use and request options
HOLDINGS           AUTO        anonymous: anonymous view; patron: BRIEF says the account is
                               made on opening (ON_OPEN), FULL is personal (made by the hub)
=================  ==========  =========================================================

Sections are dicts keyed as the GraphQL fields are named, so the hub serialises member rows
as they came (no per-item objects).
"""

from __future__ import annotations

from enum import StrEnum
from typing import Any


class Access(StrEnum):
    AVAILABILITY_ONLY = "AVAILABILITY_ONLY"
    ANONYMOUS = "ANONYMOUS"
    PERSONAL = "PERSONAL"


class Registration(StrEnum):
    NOT_OFFERED = "NOT_OFFERED"
    OFFERED = "OFFERED"  # the Register option (MANUAL)
    ON_OPEN = "ON_OPEN"  # AUTO: opening the full view creates the account
    LINKED = "LINKED"  # the patron's account there personalises the view


def _base(code: str, name: str, record: dict[str, Any] | None) -> dict[str, Any]:
    record = record or {}
    available = int(record.get("availableItems") or 0)
    return {
        "institutionCode": code,
        "institutionName": name,
        "found": bool(record.get("found")),
        "available": available > 0,
        "availableCount": available,
        "totalCount": None,
        "access": Access.AVAILABILITY_ONLY.value,
        "registration": Registration.NOT_OFFERED.value,
        "registerOption": False,
        "requestable": False,
        "holdings": None,
        "pickupPoints": None,
    }


def _anonymous_holdings(holdings: list[dict[str, Any]] | None) -> list[dict[str, Any]] | None:
    """Holdings as to a user who is not logged in: no terms of use on any item."""
    if holdings is None:
        return None
    return [
        {**h, "items": [{**i, "terms": None} if i.get("terms") else i for i in h["items"]]}
        for h in holdings
    ]


def remote_section(
    *,
    code: str,
    name: str,
    setting: str,
    display: str,
    patron: bool,
    personalised: bool,
    record: dict[str, Any] | None,
) -> dict[str, Any]:
    """Another member's section for one record, as the home's patron (or anyone) sees it."""
    section = _base(code, name, record)
    if display != "HOLDINGS":
        return section
    record = record or {}
    section["totalCount"] = int(record.get("totalItems") or 0)
    section["access"] = Access.ANONYMOUS.value
    personal = patron and personalised and setting != "NONE"
    if personal:
        section["access"] = Access.PERSONAL.value
        section["registration"] = Registration.LINKED.value
        section["requestable"] = bool(record.get("requestable"))
        section["holdings"] = record.get("holdings")
        section["pickupPoints"] = record.get("pickupPoints") if section["requestable"] else None
        return section
    section["holdings"] = _anonymous_holdings(record.get("holdings"))
    if patron and setting == "MANUAL":
        section["registration"] = Registration.OFFERED.value
        section["registerOption"] = True
    elif patron and setting == "AUTO":
        section["registration"] = Registration.ON_OPEN.value
    return section


def home_section(
    *, code: str, name: str, personalised: bool, record: dict[str, Any] | None
) -> dict[str, Any]:
    """The home member's own inventory: always with holdings; personal for its patron."""
    section = _base(code, name, record)
    record = record or {}
    section["totalCount"] = int(record.get("totalItems") or 0)
    if personalised:
        section["access"] = Access.PERSONAL.value
        section["requestable"] = bool(record.get("requestable"))
        section["holdings"] = record.get("holdings")
        section["pickupPoints"] = record.get("pickupPoints") if section["requestable"] else None
    else:
        section["access"] = Access.ANONYMOUS.value
        section["holdings"] = _anonymous_holdings(record.get("holdings"))
    return section
