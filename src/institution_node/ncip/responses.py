"""Building the NCIP messages the node writes: answers (success or Problem) and the
initiation messages it sends to a broker (RenewItem, RecallItem).

Every builder returns an ``NCIPMessage`` element in the NCIP namespace whose children are
in the order the v2.02 XSD requires; tests validate every one of them against the XSD.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, date, datetime
from typing import Any

from .messages import Ident
from .problems import NcipProblem, scheme_for
from .wire import element, message, text_element

#: The services whose answer element is ``<Service>Response``.
ANSWERED = frozenset(
    {
        "AcceptItem",
        "RequestItem",
        "CheckOutItem",
        "CheckInItem",
        "DeleteItem",
        "CancelRequestItem",
        "RenewItem",
        "LookupUser",
        "RecallItem",
    }
)
#: The scheme of the e-mail address type and of the user address role.
_ADDRESS_TYPE_SCHEME = "http://www.iana.org/assignments/uri-schemes.html"
_ADDRESS_ROLE_SCHEME = (
    "http://www.niso.org/ncip/v1_0/imp1/schemes/useraddressroletype/useraddressroletype.scm"
)


@dataclass(frozen=True, slots=True)
class Parties:
    """Who answers whom: this node's agency id and the caller's (None when unknown)."""

    ours: str
    theirs: str | None


def when(moment: datetime) -> str:
    """An xs:dateTime in UTC (``2026-12-01T10:00:00Z``)."""
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def _date_end(day: date) -> str:
    return f"{day.isoformat()}T23:59:59Z"


def _agency(name: str, agency: str) -> Any:
    return element(name, element("AgencyId", text=agency))


def _header(kind: str, parties: Parties | None, authentication: str | None = None) -> Any:
    if parties is None or parties.theirs is None:
        return None  # both agencies are required in a header; without the caller's, none
    return element(
        kind,
        _agency("FromAgencyId", parties.ours),
        text_element("FromAgencyAuthentication", authentication),
        _agency("ToAgencyId", parties.theirs),
    )


def ident(name: str, kind: str, value: Ident) -> Any:
    """``ItemId`` / ``UserId`` / ``RequestId`` (``kind`` Item / User / Request)."""
    return element(
        name,
        text_element("AgencyId", value.agency),
        text_element(f"{kind}IdentifierType", value.type),
        element(f"{kind}IdentifierValue", text=value.value),
    )


def problem(p: NcipProblem, service: str | None) -> Any:
    return element(
        "Problem",
        element("ProblemType", text=p.problem.value, scheme=scheme_for(p.problem, service)),
        element("ProblemDetail", text=p.detail),
        text_element("ProblemElement", p.element),
        text_element("ProblemValue", p.value),
    )


def problem_response(
    service: str | None, problems: Iterable[NcipProblem], parties: Parties | None = None
) -> Any:
    """The Problem answer of ``service``; a bare ``NCIPMessage/Problem`` when the service
    is unknown (the message could not be read that far)."""
    items = [problem(p, service) for p in problems]
    if service not in ANSWERED:
        root = message(items[0])
        for extra in items[1:]:
            root.append(extra)
        return root
    return message(element(f"{service}Response", _header("ResponseHeader", parties), *items))


def accept_item(parties: Parties, *, request_id: Ident, item_id: Ident | None) -> Any:
    return message(
        element(
            "AcceptItemResponse",
            _header("ResponseHeader", parties),
            ident("RequestId", "Request", request_id),
            ident("ItemId", "Item", item_id) if item_id is not None else None,
        )
    )


def request_item(
    parties: Parties,
    *,
    request_id: Ident | None,
    item_id: Ident | None,
    user_id: Ident,
    request_type: str,
    request_scope: str,
    date_available: datetime | None = None,
) -> Any:
    if request_id is None and item_id is None:
        raise ValueError("a RequestItemResponse names the request or the item")
    return message(
        element(
            "RequestItemResponse",
            _header("ResponseHeader", parties),
            ident("RequestId", "Request", request_id) if request_id is not None else None,
            ident("ItemId", "Item", item_id) if item_id is not None else None,
            ident("UserId", "User", user_id),
            element("RequestType", text=request_type),
            element("RequestScopeType", text=request_scope),
            text_element("DateAvailable", when(date_available) if date_available else None),
        )
    )


def check_out_item(
    parties: Parties, *, item_id: Ident, user_id: Ident, due: datetime, renewals: int = 0
) -> Any:
    return message(
        element(
            "CheckOutItemResponse",
            _header("ResponseHeader", parties),
            ident("ItemId", "Item", item_id),
            ident("UserId", "User", user_id),
            element("DateDue", text=when(due)),
            element("RenewalCount", text=str(renewals)),
        )
    )


def check_in_item(parties: Parties, *, item_id: Ident, user_id: Ident | None) -> Any:
    return message(
        element(
            "CheckInItemResponse",
            _header("ResponseHeader", parties),
            ident("ItemId", "Item", item_id),
            ident("UserId", "User", user_id) if user_id is not None else None,
        )
    )


def delete_item(parties: Parties, *, item_id: Ident) -> Any:
    return message(
        element(
            "DeleteItemResponse",
            _header("ResponseHeader", parties),
            ident("ItemId", "Item", item_id),
        )
    )


def cancel_request_item(
    parties: Parties, *, request_id: Ident | None, item_id: Ident | None, user_id: Ident
) -> Any:
    if request_id is None and item_id is None:
        raise ValueError("a CancelRequestItemResponse names the request or the item")
    return message(
        element(
            "CancelRequestItemResponse",
            _header("ResponseHeader", parties),
            ident("RequestId", "Request", request_id) if request_id is not None else None,
            ident("ItemId", "Item", item_id) if item_id is not None else None,
            ident("UserId", "User", user_id),
        )
    )


def renew_item(
    parties: Parties, *, item_id: Ident, user_id: Ident | None, due: datetime, renewals: int
) -> Any:
    return message(
        element(
            "RenewItemResponse",
            _header("ResponseHeader", parties),
            ident("ItemId", "Item", item_id),
            ident("UserId", "User", user_id) if user_id is not None else None,
            element("DateDue", text=when(due)),
            element("RenewalCount", text=str(renewals)),
        )
    )


def renew_item_pending(parties: Parties, *, expected_reply: datetime | None) -> Any:
    """The renewal is asked and waits for staff (NCIP's ``Pending``)."""
    return message(
        element(
            "RenewItemResponse",
            _header("ResponseHeader", parties),
            element(
                "Pending",
                text_element(
                    "DateOfExpectedReply", when(expected_reply) if expected_reply else None
                ),
            ),
        )
    )


@dataclass(frozen=True, slots=True)
class LimitedUser:
    """The limited patron information of DOMAIN §1, as far as NCIP can carry it."""

    user_id: Ident
    first_name: str
    last_name: str
    email: str | None
    user_group: str | None
    expiry: date | None


def lookup_user(parties: Parties, user: LimitedUser) -> Any:
    full = " ".join(part for part in (user.first_name, user.last_name) if part)
    if user.last_name:
        name = element(
            "StructuredPersonalUserName",
            text_element("GivenName", user.first_name or None),
            element("Surname", text=user.last_name),
        )
    else:
        name = element("UnstructuredPersonalUserName", text=full)
    optional = element(
        "UserOptionalFields",
        element("NameInformation", element("PersonalNameInformation", name)) if full else None,
        (
            element(
                "UserAddressInformation",
                element("UserAddressRoleType", text="Home", scheme=_ADDRESS_ROLE_SCHEME),
                element(
                    "ElectronicAddress",
                    element("ElectronicAddressType", text="mailto", scheme=_ADDRESS_TYPE_SCHEME),
                    element("ElectronicAddressData", text=user.email),
                ),
            )
            if user.email
            else None
        ),
        (
            element(
                "UserPrivilege",
                element("AgencyId", text=parties.ours),
                element("AgencyUserPrivilegeType", text=user.user_group or "Patron"),
                text_element("ValidToDate", _date_end(user.expiry) if user.expiry else None),
            )
        ),
    )
    return message(
        element(
            "LookupUserResponse",
            _header("ResponseHeader", parties),
            ident("UserId", "User", user.user_id),
            optional,
        )
    )


# ---- initiation messages the node sends ----------------------------------------------------


def renew_item_request(
    parties: Parties,
    *,
    authentication: str | None,
    user_id: Ident,
    item_id: Ident,
    desired_due: datetime,
) -> Any:
    """RenewItem to a broker: a renewal of ``item_id`` up to ``desired_due``."""
    return message(
        element(
            "RenewItem",
            _header("InitiationHeader", parties, authentication),
            ident("UserId", "User", user_id),
            ident("ItemId", "Item", item_id),
            element("DesiredDateDue", text=when(desired_due)),
        )
    )


def recall_item_request(
    parties: Parties, *, authentication: str | None, item_id: Ident, desired_due: datetime | None
) -> Any:
    """RecallItem to a broker: the lender wants ``item_id`` back (by ``desired_due``)."""
    return message(
        element(
            "RecallItem",
            _header("InitiationHeader", parties, authentication),
            ident("ItemId", "Item", item_id),
            text_element("DesiredDateDue", when(desired_due) if desired_due else None),
        )
    )
