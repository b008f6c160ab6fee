"""NCIP problem types the node answers with, and the exception that carries one.

Hierarchy::

    NcipProblem                 one NCIP <Problem>: type (value + scheme), detail, element, value
                                raised anywhere under the endpoint, answered as a Problem
                                response of the service asked (or a bare one when the message
                                could not be read far enough to know the service)

Problem types are values of the NCIP schemes (messaging errors, general processing errors
and the per-service processing error schemes). A broker reads the value to decide whether
to retry: only ``TEMPORARY_PROCESSING_FAILURE`` invites a retry; every other type is final
for that message.
"""

from __future__ import annotations

from enum import StrEnum

_SCHEMES = "http://www.niso.org/ncip/v1_0/schemes/"
MESSAGING = _SCHEMES + "messagingerrortype/messagingerrortype.scm"
GENERAL = _SCHEMES + "processingerrortype/generalprocessingerror.scm"


class ProblemType(StrEnum):
    """Problem type values as they go on the wire."""

    # Messaging errors: the message itself could not be understood.
    INVALID_MESSAGE_SYNTAX = "Invalid Message Syntax Error"
    UNKNOWN_SERVICE = "Unknown Service"
    # General processing errors.
    UNSUPPORTED_SERVICE = "Unsupported Service"
    NEEDED_DATA_MISSING = "Needed Data Missing"
    UNKNOWN_AGENCY = "Unknown Agency"
    AGENCY_AUTHENTICATION_FAILED = "Agency Authentication Failed"
    UNAUTHORIZED_SERVICE_FOR_AGENCY = "Unauthorized Service For Agency"
    INVALID_DATE = "Invalid Date"
    TEMPORARY_PROCESSING_FAILURE = "Temporary Processing Failure"
    # Processing errors of one service (or several: the scheme follows the service).
    ELEMENT_RULE_VIOLATED = "Element Rule Violated"
    UNKNOWN_ITEM = "Unknown Item"
    UNKNOWN_USER = "Unknown User"
    UNKNOWN_REQUEST = "Unknown Request"
    USER_BLOCKED = "User Blocked"
    DUPLICATE_REQUEST = "Duplicate Request"
    ITEM_NOT_AVAILABLE = "Item Not Available By Need Before Date"
    ITEM_DOES_NOT_CIRCULATE = "Item Does Not Circulate"
    USER_INELIGIBLE_TO_REQUEST = "User Ineligible To Request This Item"
    USER_INELIGIBLE_TO_CHECK_OUT = "User Ineligible To Check Out This Item"
    RESOURCE_CANNOT_BE_PROVIDED = "Resource Cannot Be Provided"
    ITEM_NOT_CHECKED_OUT = "Item Not Checked Out"
    ITEM_NOT_RENEWABLE = "Item Not Renewable"
    MAXIMUM_RENEWALS_EXCEEDED = "Maximum Renewals Exceeded"
    REQUEST_ALREADY_PROCESSED = "Request Already Processed"
    CANNOT_ACCEPT_ITEM = "Cannot Accept Item"
    USER_AUTHENTICATION_FAILED = "User Authentication Failed"


_MESSAGING = frozenset({ProblemType.INVALID_MESSAGE_SYNTAX, ProblemType.UNKNOWN_SERVICE})
_GENERAL = frozenset(
    {
        ProblemType.UNSUPPORTED_SERVICE,
        ProblemType.NEEDED_DATA_MISSING,
        ProblemType.UNKNOWN_AGENCY,
        ProblemType.AGENCY_AUTHENTICATION_FAILED,
        ProblemType.UNAUTHORIZED_SERVICE_FOR_AGENCY,
        ProblemType.INVALID_DATE,
        ProblemType.TEMPORARY_PROCESSING_FAILURE,
    }
)
P = ProblemType
#: Service -> its processing error scheme and the values it defines.
_SERVICE_SCHEMES: dict[str, tuple[str, frozenset[ProblemType]]] = {
    "RequestItem": (
        "requestitemprocessingerror.scm",
        frozenset(
            {
                P.ELEMENT_RULE_VIOLATED,
                P.UNKNOWN_ITEM,
                P.UNKNOWN_USER,
                P.USER_BLOCKED,
                P.DUPLICATE_REQUEST,
                P.ITEM_NOT_AVAILABLE,
                P.ITEM_DOES_NOT_CIRCULATE,
                P.USER_INELIGIBLE_TO_REQUEST,
            }
        ),
    ),
    "CheckOutItem": (
        "checkoutitemprocessingerror.scm",
        frozenset(
            {
                P.ELEMENT_RULE_VIOLATED,
                P.UNKNOWN_ITEM,
                P.UNKNOWN_USER,
                P.USER_BLOCKED,
                P.ITEM_DOES_NOT_CIRCULATE,
                P.USER_INELIGIBLE_TO_CHECK_OUT,
                P.RESOURCE_CANNOT_BE_PROVIDED,
            }
        ),
    ),
    "CheckInItem": (
        "checkinitemprocessingerror.scm",
        frozenset({P.ELEMENT_RULE_VIOLATED, P.UNKNOWN_ITEM, P.ITEM_NOT_CHECKED_OUT}),
    ),
    "DeleteItem": (
        "deleteitemprocessingerror.scm",
        frozenset({P.ELEMENT_RULE_VIOLATED, P.UNKNOWN_ITEM}),
    ),
    "RenewItem": (
        "renewitemprocessingerror.scm",
        frozenset(
            {
                P.ELEMENT_RULE_VIOLATED,
                P.UNKNOWN_ITEM,
                P.UNKNOWN_USER,
                P.USER_BLOCKED,
                P.ITEM_NOT_CHECKED_OUT,
                P.ITEM_NOT_RENEWABLE,
                P.MAXIMUM_RENEWALS_EXCEEDED,
            }
        ),
    ),
    "CancelRequestItem": (
        "cancelrequestitemprocessingerror.scm",
        frozenset(
            {
                P.ELEMENT_RULE_VIOLATED,
                P.UNKNOWN_ITEM,
                P.UNKNOWN_USER,
                P.UNKNOWN_REQUEST,
                P.REQUEST_ALREADY_PROCESSED,
            }
        ),
    ),
    "AcceptItem": (
        "acceptitemprocessingerror.scm",
        frozenset(
            {P.ELEMENT_RULE_VIOLATED, P.UNKNOWN_USER, P.DUPLICATE_REQUEST, P.CANNOT_ACCEPT_ITEM}
        ),
    ),
    "LookupUser": (
        "lookupuserprocessingerror.scm",
        frozenset({P.ELEMENT_RULE_VIOLATED, P.UNKNOWN_USER, P.USER_AUTHENTICATION_FAILED}),
    ),
}
_LOOKUP_ITEM = "lookupitemprocessingerror.scm"


def scheme_for(problem: ProblemType, service: str | None) -> str:
    """The scheme URI a problem type is a value of, in an answer to ``service``."""
    if problem in _MESSAGING:
        return MESSAGING
    if problem in _GENERAL:
        return GENERAL
    if service in _SERVICE_SCHEMES:
        name, values = _SERVICE_SCHEMES[service]
        if problem in values:
            return _SCHEMES + "processingerrortype/" + name
    if problem is ProblemType.UNKNOWN_ITEM:
        return _SCHEMES + "processingerrortype/" + _LOOKUP_ITEM
    return GENERAL


#: The longest detail/value put on the wire (a value echoed from the caller is cut here).
_TEXT_MAX = 200


def _clip(text: str | None) -> str | None:
    if text is None:
        return None
    return text if len(text) <= _TEXT_MAX else text[: _TEXT_MAX - 1] + "…"


class NcipProblem(Exception):
    """One problem to answer. ``element`` is a path such as ``ItemId/ItemIdentifierValue``;
    ``value`` the offending value, when there is one. Details are fixed sentences of this
    node, never exception text."""

    def __init__(
        self,
        problem: ProblemType,
        detail: str,
        *,
        element: str | None = None,
        value: str | None = None,
    ) -> None:
        super().__init__(detail)
        self.problem = problem
        self.detail = detail
        self.element = element
        self.value = _clip(value)
