"""Domain refusals as NCIP problems: the same service functions as GraphQL, their errors
translated at this edge (``network_common.errors`` codes → NCIP problem types).

Handlers that know better (which identifier was not found) raise ``NcipProblem``
themselves; this table is for the refusals that carry their meaning in their code. The
detail is a fixed sentence per problem: nothing of the exception goes on the wire.
"""

from __future__ import annotations

from network_common.errors import DomainError, ErrorCode

from .problems import NcipProblem, ProblemType

P, C = ProblemType, ErrorCode

_BY_CODE: dict[ErrorCode, ProblemType] = {
    C.NOT_FOUND: P.UNKNOWN_ITEM,
    C.ITEM_NOT_LOANABLE: P.ITEM_DOES_NOT_CIRCULATE,
    C.ITEM_ON_LOAN: P.RESOURCE_CANNOT_BE_PROVIDED,
    C.ITEM_NOT_AVAILABLE: P.RESOURCE_CANNOT_BE_PROVIDED,
    C.NOT_REQUESTABLE: P.ITEM_DOES_NOT_CIRCULATE,
    C.PATRON_BLOCKED: P.USER_BLOCKED,
    C.PATRON_NOT_ELIGIBLE: P.USER_INELIGIBLE_TO_CHECK_OUT,
    C.RENEWAL_LIMIT: P.MAXIMUM_RENEWALS_EXCEEDED,
    C.ITEM_NOT_ON_LOAN: P.ITEM_NOT_CHECKED_OUT,
    C.LOAN_NOT_ACTIVE: P.ITEM_NOT_CHECKED_OUT,
    C.ILLEGAL_TRANSITION: P.ELEMENT_RULE_VIOLATED,
    C.CONFLICT: P.ELEMENT_RULE_VIOLATED,
    C.INVALID_INPUT: P.ELEMENT_RULE_VIOLATED,
    C.FORBIDDEN: P.UNAUTHORIZED_SERVICE_FOR_AGENCY,
    C.UNAUTHENTICATED: P.UNAUTHORIZED_SERVICE_FOR_AGENCY,
    C.CONCURRENT_UPDATE: P.TEMPORARY_PROCESSING_FAILURE,
}
#: Where a service words a refusal differently from the table above.
_BY_SERVICE: dict[tuple[str, ErrorCode], ProblemType] = {
    ("RequestItem", C.ITEM_ON_LOAN): P.ITEM_NOT_AVAILABLE,
    ("RequestItem", C.ITEM_NOT_AVAILABLE): P.ITEM_NOT_AVAILABLE,
    ("RequestItem", C.PATRON_NOT_ELIGIBLE): P.USER_INELIGIBLE_TO_REQUEST,
    ("RequestItem", C.CONFLICT): P.DUPLICATE_REQUEST,
    ("RenewItem", C.ITEM_NOT_LOANABLE): P.ITEM_NOT_RENEWABLE,
    ("RenewItem", C.ILLEGAL_TRANSITION): P.ITEM_NOT_RENEWABLE,
    ("CancelRequestItem", C.ILLEGAL_TRANSITION): P.REQUEST_ALREADY_PROCESSED,
    ("CancelRequestItem", C.NOT_FOUND): P.UNKNOWN_REQUEST,
    ("CheckInItem", C.ILLEGAL_TRANSITION): P.ITEM_NOT_CHECKED_OUT,
}
_DETAILS: dict[ProblemType, str] = {
    P.UNKNOWN_ITEM: "No item of this library answers to that identifier",
    P.UNKNOWN_REQUEST: "No request of this agency answers to that identifier",
    P.ITEM_DOES_NOT_CIRCULATE: "The item does not circulate",
    P.RESOURCE_CANNOT_BE_PROVIDED: "The item cannot be provided now",
    P.ITEM_NOT_AVAILABLE: "No copy can be provided now",
    P.USER_BLOCKED: "The user is blocked",
    P.USER_INELIGIBLE_TO_CHECK_OUT: "The user may not borrow this item",
    P.USER_INELIGIBLE_TO_REQUEST: "The user may not request this item",
    P.DUPLICATE_REQUEST: "This request already exists",
    P.MAXIMUM_RENEWALS_EXCEEDED: "The loan has been renewed as often as allowed",
    P.ITEM_NOT_RENEWABLE: "The loan cannot be renewed now",
    P.ITEM_NOT_CHECKED_OUT: "The item is not checked out to this agency",
    P.REQUEST_ALREADY_PROCESSED: "The request was already processed and cannot change now",
    P.ELEMENT_RULE_VIOLATED: "The request cannot be served in its present state",
    P.UNAUTHORIZED_SERVICE_FOR_AGENCY: "This agency may not use this service",
    P.TEMPORARY_PROCESSING_FAILURE: "The message could not be processed now; try again later",
}


def problem_for(error: DomainError, service: str | None) -> NcipProblem:
    """The NCIP problem that says what ``error`` says, in an answer to ``service``."""
    kind = _BY_SERVICE.get((service or "", error.code)) or _BY_CODE.get(
        error.code, P.TEMPORARY_PROCESSING_FAILURE
    )
    return NcipProblem(kind, _DETAILS.get(kind, "The request cannot be served"))
