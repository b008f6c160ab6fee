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

from network_common.vocabulary import AvailabilityDisplay, RemoteRegister


class GetItShape(StrEnum):
    """BRIEF: a results page (counts); FULL: one record's full view."""

    BRIEF = "BRIEF"
    FULL = "FULL"


class ViewerKind(StrEnum):
    PATRON = "PATRON"
    ANONYMOUS = "ANONYMOUS"


class Access(StrEnum):
    AVAILABILITY_ONLY = "AVAILABILITY_ONLY"
    ANONYMOUS = "ANONYMOUS"
    PERSONAL = "PERSONAL"


class Registration(StrEnum):
    NOT_OFFERED = "NOT_OFFERED"
    OFFERED = "OFFERED"  # the Register option (MANUAL)
    ON_OPEN = "ON_OPEN"  # AUTO: opening the full view creates the account
    LINKED = "LINKED"  # the patron's account there personalises the view


def _template(code: str, name: str) -> dict[str, Any]:
    # Null fields (totalCount, holdings, pickupPoints) are simply absent: the schema's dict
    # resolver reads a missing key as null, and a smaller dict is cheaper to copy 1,000 times.
    return {
        "institutionCode": code,
        "institutionName": name,
        "found": False,
        "available": False,
        "availableCount": 0,
        "access": Access.AVAILABILITY_ONLY,
        "registration": Registration.NOT_OFFERED,
        "registerOption": False,
        "requestable": False,
        "resourceSharing": False,
    }


def _anonymous_holdings(holdings: list[dict[str, Any]] | None) -> list[dict[str, Any]] | None:
    """Holdings as to a user who is not logged in: no terms of use on any item."""
    if holdings is None:
        return None
    return [
        {**h, "items": [{**i, "terms": None} if i.get("terms") else i for i in h["items"]]}
        for h in holdings
    ]


class Shaper:
    """Sections of one member for every record of a page (the member-wide part once)."""

    def __init__(self, template: dict[str, Any]) -> None:
        self._template = template
        # Decided once: an enum member looked up on its class costs a descriptor call, and
        # a page asks for a thousand sections.
        self._counts_only = template["access"] == Access.AVAILABILITY_ONLY
        self._personal = template["access"] == Access.PERSONAL

    def section(self, record: dict[str, Any] | None) -> dict[str, Any]:
        section = self._template.copy()
        if not record:
            return section
        available = record.get("availableItems") or 0
        section["found"] = bool(record.get("found"))
        section["available"] = available > 0
        section["availableCount"] = available
        if self._counts_only:
            return section
        section["totalCount"] = record.get("totalItems") or 0
        holdings = record.get("holdings")
        if self._personal:
            requestable = bool(record.get("requestable"))
            section["requestable"] = requestable
            if holdings is not None:
                section["holdings"] = holdings
            if requestable:
                section["pickupPoints"] = record.get("pickupPoints")
        elif holdings is not None:
            section["holdings"] = _anonymous_holdings(holdings)
        return section


def remote_shaper(
    *,
    code: str,
    name: str,
    setting: RemoteRegister,
    display: AvailabilityDisplay,
    patron: bool,
    personalised: bool,
) -> Shaper:
    """How another member's sections look to the home's patron (or to anyone)."""
    template = _template(code, name)
    if display is not AvailabilityDisplay.HOLDINGS:
        # No direct request here: the home's resource sharing request is the way (§5).
        template["resourceSharing"] = patron
        return Shaper(template)
    if patron and personalised and setting is not RemoteRegister.NONE:
        template["access"] = Access.PERSONAL
        template["registration"] = Registration.LINKED
        return Shaper(template)
    template["access"] = Access.ANONYMOUS
    if patron and setting is RemoteRegister.MANUAL:
        template["registration"] = Registration.OFFERED
        template["registerOption"] = True
    elif patron and setting is RemoteRegister.AUTO:
        template["registration"] = Registration.ON_OPEN
    return Shaper(template)


def home_shaper(*, code: str, name: str, personalised: bool) -> Shaper:
    """The home member's own inventory: always with holdings; personal for its patron."""
    template = _template(code, name)
    template["access"] = Access.PERSONAL if personalised else Access.ANONYMOUS
    return Shaper(template)
