"""Decoding the initiation messages the node serves into plain values.

Each decoder reads what its service needs and raises ``NcipProblem`` (Needed Data Missing,
Invalid Date, ...) with ``ProblemElement`` naming the path of what is missing or wrong.
Optional elements the node does not use are ignored, so a message that breaks the XSD in
a harmless place is still served (the XSD finding is only logged, see ``wire``).

Identifiers follow FOLIO's leniency where brokers differ: a user may be named by
``UserId`` or by an ``AuthenticationInput`` of a barcode / user id type; the calling agency
is ``InitiationHeader/FromAgencyId`` or, when the header lacks it, the ``AgencyId`` of the
``RequestId``.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from .problems import NcipProblem, ProblemType
from .wire import NS, q

_NSMAP = {"n": NS}
#: AuthenticationInputType values (lower case) that name a user rather than prove them.
_USER_INPUT_TYPES = frozenset(
    {"barcode id", "barcode", "user id", "userid", "username", "user name", "patron id"}
)
#: ... and those that prove them (a secret the node cannot check).
_SECRET_INPUT_TYPES = frozenset({"password", "pin"})
#: Longest identifier value accepted (longer ones cannot name anything here).
MAX_ID = 255


@dataclass(frozen=True, slots=True)
class Ident:
    """An ItemId / UserId / RequestId: the identifier, its type and agency (if given)."""

    value: str
    agency: str | None = None
    type: str | None = None


@dataclass(frozen=True, slots=True)
class Header:
    from_agency: str | None
    to_agency: str | None
    authentication: str | None
    application_profile: str | None


@dataclass(frozen=True, slots=True)
class UserRef:
    """Who the message names: ``ident`` (from UserId or a user-naming AuthenticationInput);
    ``has_secret`` when an AuthenticationInput also carries a password or PIN."""

    ident: Ident
    has_secret: bool = False


@dataclass(frozen=True, slots=True)
class AcceptItem:
    header: Header
    request_id: Ident
    requested_action: str
    user: UserRef | None
    item_id: Ident | None
    title: str | None
    author: str | None
    pickup_location: str | None
    date_for_return: datetime | None


@dataclass(frozen=True, slots=True)
class RequestItem:
    header: Header
    user: UserRef
    item_ids: tuple[Ident, ...]
    bib_ids: tuple[str, ...]
    request_id: Ident | None
    request_type: str
    request_scope: str
    pickup_location: str | None
    need_before: datetime | None


@dataclass(frozen=True, slots=True)
class CheckOutItem:
    header: Header
    user: UserRef
    item_id: Ident
    request_id: Ident | None
    desired_due: datetime | None


@dataclass(frozen=True, slots=True)
class CheckInItem:
    header: Header
    item_id: Ident
    #: Not in the v2.02 schema for CheckInItem, but sent by some brokers.
    request_id: Ident | None


@dataclass(frozen=True, slots=True)
class DeleteItem:
    header: Header
    item_id: Ident


@dataclass(frozen=True, slots=True)
class CancelRequestItem:
    header: Header
    user: UserRef | None
    request_id: Ident | None
    item_id: Ident | None
    request_type: str | None


@dataclass(frozen=True, slots=True)
class RenewItem:
    header: Header
    user: UserRef | None
    item_id: Ident
    desired_due: datetime | None


@dataclass(frozen=True, slots=True)
class LookupUser:
    header: Header
    user: UserRef
    element_types: tuple[str, ...]
    loans_desired: bool
    requests_desired: bool
    fiscal_account_desired: bool


Message = (
    AcceptItem
    | RequestItem
    | CheckOutItem
    | CheckInItem
    | DeleteItem
    | CancelRequestItem
    | RenewItem
    | LookupUser
)


# ---- reading helpers ---------------------------------------------------------------------


def _find(node: Any, path: str) -> Any:
    return node.find("/".join(f"n:{part}" for part in path.split("/")), _NSMAP)


def _findall(node: Any, name: str) -> list[Any]:
    return list(node.findall(f"n:{name}", _NSMAP))


def _text(node: Any, path: str) -> str | None:
    found = _find(node, path) if node is not None else None
    if found is None or found.text is None:
        return None
    text = str(found.text).strip()
    return text or None


def _missing(element: str, what: str) -> NcipProblem:
    return NcipProblem(ProblemType.NEEDED_DATA_MISSING, f"{what} is required", element=element)


def _ident(node: Any, kind: str, where: str) -> Ident:
    value = _text(node, f"{kind}IdentifierValue")
    if value is None:
        raise _missing(f"{where}/{kind}IdentifierValue", f"{where}/{kind}IdentifierValue")
    if len(value) > MAX_ID:
        raise NcipProblem(
            ProblemType.ELEMENT_RULE_VIOLATED,
            f"{kind}IdentifierValue is too long",
            element=f"{where}/{kind}IdentifierValue",
            value=value,
        )
    return Ident(
        value=value, agency=_text(node, "AgencyId"), type=_text(node, f"{kind}IdentifierType")
    )


def _optional_ident(service: Any, name: str, kind: str) -> Ident | None:
    node = _find(service, name)
    return None if node is None else _ident(node, kind, name)


def _required_ident(service: Any, name: str, kind: str) -> Ident:
    ident = _optional_ident(service, name, kind)
    if ident is None:
        raise _missing(name, name)
    return ident


def _date(service: Any, name: str) -> datetime | None:
    text = _text(service, name)
    if text is None:
        return None
    try:
        moment = datetime.fromisoformat(text)
    except ValueError as exc:
        raise NcipProblem(
            ProblemType.INVALID_DATE, f"{name} is not a date and time", element=name, value=text
        ) from exc
    return moment if moment.tzinfo is not None else moment.replace(tzinfo=UTC)


def _header(service: Any, request_id: Ident | None = None) -> Header:
    header = _find(service, "InitiationHeader")
    from_agency = _text(header, "FromAgencyId/AgencyId") if header is not None else None
    if from_agency is None and request_id is not None:
        from_agency = request_id.agency
    return Header(
        from_agency=from_agency,
        to_agency=_text(header, "ToAgencyId/AgencyId") if header is not None else None,
        authentication=_text(header, "FromAgencyAuthentication") if header is not None else None,
        application_profile=(
            _text(header, "ApplicationProfileType") if header is not None else None
        ),
    )


def read_header(service: Any) -> Header:
    """The calling agency and its credentials, read leniently (never raises): what the
    endpoint authenticates before it looks at anything else."""
    request_agency = _text(service, "RequestId/AgencyId")
    header = _header(service)
    if header.from_agency is None and request_agency is not None:
        return Header(
            from_agency=request_agency,
            to_agency=header.to_agency,
            authentication=header.authentication,
            application_profile=header.application_profile,
        )
    return header


def _user(service: Any, *, required: bool) -> UserRef | None:
    node = _find(service, "UserId")
    secrets = False
    named: Ident | None = None
    for auth in _findall(service, "AuthenticationInput"):
        kind = (_text(auth, "AuthenticationInputType") or "").lower()
        data = _text(auth, "AuthenticationInputData")
        if kind in _SECRET_INPUT_TYPES:
            secrets = True
        elif kind in _USER_INPUT_TYPES and data and named is None:
            named = Ident(value=data[:MAX_ID], type=kind)
    if node is not None:
        return UserRef(ident=_ident(node, "User", "UserId"), has_secret=secrets)
    if named is not None:
        return UserRef(ident=named, has_secret=secrets)
    if required:
        raise _missing("UserId", "UserId (or an AuthenticationInput naming the user)")
    return None


def _required_text(service: Any, name: str) -> str:
    text = _text(service, name)
    if text is None:
        raise _missing(name, name)
    return text


# ---- one decoder per service ------------------------------------------------------------


def _accept_item(service: Any) -> AcceptItem:
    request_id = _required_ident(service, "RequestId", "Request")
    return AcceptItem(
        header=_header(service, request_id),
        request_id=request_id,
        requested_action=_required_text(service, "RequestedActionType"),
        user=_user(service, required=False),
        item_id=_optional_ident(service, "ItemId", "Item"),
        title=_text(service, "ItemOptionalFields/BibliographicDescription/Title"),
        author=_text(service, "ItemOptionalFields/BibliographicDescription/Author"),
        pickup_location=_text(service, "PickupLocation"),
        date_for_return=_date(service, "DateForReturn"),
    )


def _request_item(service: Any) -> RequestItem:
    request_id = _optional_ident(service, "RequestId", "Request")
    user = _user(service, required=True)
    assert user is not None
    item_ids = tuple(_ident(node, "Item", "ItemId") for node in _findall(service, "ItemId"))
    bib_ids = tuple(
        value
        for node in _findall(service, "BibliographicId")
        if (
            value := _text(node, "BibliographicRecordId/BibliographicRecordIdentifier")
            or _text(node, "BibliographicItemId/BibliographicItemIdentifier")
        )
    )
    if not item_ids and not bib_ids:
        raise _missing("ItemId", "ItemId or BibliographicId")
    return RequestItem(
        header=_header(service, request_id),
        user=user,
        item_ids=item_ids,
        bib_ids=bib_ids,
        request_id=request_id,
        request_type=_required_text(service, "RequestType"),
        request_scope=_required_text(service, "RequestScopeType"),
        pickup_location=_text(service, "PickupLocation"),
        need_before=_date(service, "NeedBeforeDate"),
    )


def _check_out_item(service: Any) -> CheckOutItem:
    request_id = _optional_ident(service, "RequestId", "Request")
    user = _user(service, required=True)
    assert user is not None
    return CheckOutItem(
        header=_header(service, request_id),
        user=user,
        item_id=_required_ident(service, "ItemId", "Item"),
        request_id=request_id,
        desired_due=_date(service, "DesiredDateDue"),
    )


def _check_in_item(service: Any) -> CheckInItem:
    request_id = _optional_ident(service, "RequestId", "Request")
    return CheckInItem(
        header=_header(service, request_id),
        item_id=_required_ident(service, "ItemId", "Item"),
        request_id=request_id,
    )


def _delete_item(service: Any) -> DeleteItem:
    return DeleteItem(header=_header(service), item_id=_required_ident(service, "ItemId", "Item"))


def _cancel_request_item(service: Any) -> CancelRequestItem:
    request_id = _optional_ident(service, "RequestId", "Request")
    item_id = _optional_ident(service, "ItemId", "Item")
    if request_id is None and item_id is None:
        raise _missing("RequestId", "RequestId or ItemId")
    return CancelRequestItem(
        header=_header(service, request_id),
        user=_user(service, required=False),
        request_id=request_id,
        item_id=item_id,
        request_type=_text(service, "RequestType"),
    )


def _renew_item(service: Any) -> RenewItem:
    return RenewItem(
        header=_header(service),
        user=_user(service, required=False),
        item_id=_required_ident(service, "ItemId", "Item"),
        desired_due=_date(service, "DesiredDateDue"),
    )


def _lookup_user(service: Any) -> LookupUser:
    user = _user(service, required=True)
    assert user is not None
    return LookupUser(
        header=_header(service),
        user=user,
        element_types=tuple(
            str(node.text).strip()
            for node in _findall(service, "UserElementType")
            if node.text and node.text.strip()
        ),
        loans_desired=_find(service, "LoanedItemsDesired") is not None,
        requests_desired=_find(service, "RequestedItemsDesired") is not None,
        fiscal_account_desired=_find(service, "UserFiscalAccountDesired") is not None,
    )


DECODERS: dict[str, Callable[[Any], Message]] = {
    "AcceptItem": _accept_item,
    "RequestItem": _request_item,
    "CheckOutItem": _check_out_item,
    "CheckInItem": _check_in_item,
    "DeleteItem": _delete_item,
    "CancelRequestItem": _cancel_request_item,
    "RenewItem": _renew_item,
    "LookupUser": _lookup_user,
}

#: Every initiation message of NCIP v2.02 (anything else under NCIPMessage is unknown).
NCIP_SERVICES = frozenset(
    {
        "AcceptItem",
        "AgencyCreated",
        "AgencyUpdated",
        "CancelRecallItem",
        "CancelRequestItem",
        "CheckInItem",
        "CheckOutItem",
        "CirculationStatusChangeReported",
        "CirculationStatusUpdated",
        "CreateAgency",
        "CreateItem",
        "CreateUser",
        "CreateUserFiscalTransaction",
        "DeleteItem",
        "DeleteUser",
        "ItemCheckedIn",
        "ItemCheckedOut",
        "ItemCreated",
        "ItemRecallCancelled",
        "ItemRecalled",
        "ItemReceived",
        "ItemRenewed",
        "ItemRequestCancelled",
        "ItemRequested",
        "ItemRequestUpdated",
        "ItemShipped",
        "ItemUpdated",
        "LookupAgency",
        "LookupItem",
        "LookupItemSet",
        "LookupRequest",
        "LookupUser",
        "LookupVersion",
        "RecallItem",
        "RenewItem",
        "ReportCirculationStatusChange",
        "RequestItem",
        "SendUserNotice",
        "UndoCheckOutItem",
        "UpdateAgency",
        "UpdateCirculationStatus",
        "UpdateItem",
        "UpdateRequestItem",
        "UpdateUser",
        "UserCreated",
        "UserFiscalTransactionCreated",
        "UserNoticeSent",
        "UserUpdated",
    }
)


def decode(service: Any) -> Message:
    """The decoded message, or NcipProblem (unknown/unsupported service, missing data)."""
    name = str(service.tag).removeprefix(q(""))  # a foreign namespace stays: unknown
    decoder = DECODERS.get(name)
    if decoder is None:
        if name in NCIP_SERVICES:
            raise NcipProblem(
                ProblemType.UNSUPPORTED_SERVICE,
                "This node does not offer that service",
                element=name,
            )
        raise NcipProblem(
            ProblemType.UNKNOWN_SERVICE, "No NCIP service has that name", element=name
        )
    return decoder(service)
