"""Domain errors and their stable codes.

Hierarchy::

    DomainError                      (code: a stable ErrorCode, message: for people)
    ├── NotFound                     NOT_FOUND: missing *or* not visible to the caller
    ├── Forbidden                    FORBIDDEN: the caller may not do this
    ├── Unauthenticated              UNAUTHENTICATED: no/invalid/expired credentials
    │   └── AccountLocked            ACCOUNT_LOCKED: too many failed sign-ins, retry later
    ├── InvalidInput                 INVALID_INPUT and friends: the request itself is wrong
    ├── Conflict                     CONFLICT / ITEM_ON_LOAN / ...: the state does not allow it
    └── Ineligible                   NOT_LOANABLE / PATRON_BLOCKED / ...: a policy refuses it

The API layers map ``code`` to ``extensions.code``; clients rely on these strings.
"""

from __future__ import annotations

from enum import StrEnum


class ErrorCode(StrEnum):
    NOT_FOUND = "NOT_FOUND"
    FORBIDDEN = "FORBIDDEN"
    UNAUTHENTICATED = "UNAUTHENTICATED"
    INVALID_INPUT = "INVALID_INPUT"
    CONFLICT = "CONFLICT"
    CONCURRENT_UPDATE = "CONCURRENT_UPDATE"
    ITEM_NOT_LOANABLE = "ITEM_NOT_LOANABLE"
    ITEM_ON_LOAN = "ITEM_ON_LOAN"
    ITEM_NOT_AVAILABLE = "ITEM_NOT_AVAILABLE"
    ITEM_NOT_ON_LOAN = "ITEM_NOT_ON_LOAN"
    PATRON_NOT_ELIGIBLE = "PATRON_NOT_ELIGIBLE"
    PATRON_BLOCKED = "PATRON_BLOCKED"
    RENEWAL_LIMIT = "RENEWAL_LIMIT"
    LOAN_NOT_ACTIVE = "LOAN_NOT_ACTIVE"
    INVALID_AMOUNT = "INVALID_AMOUNT"
    AMOUNT_EXCEEDS_BALANCE = "AMOUNT_EXCEEDS_BALANCE"
    FEE_CLOSED = "FEE_CLOSED"
    ILLEGAL_TRANSITION = "ILLEGAL_TRANSITION"
    NOT_REQUESTABLE = "NOT_REQUESTABLE"
    PICKUP_NOT_ALLOWED = "PICKUP_NOT_ALLOWED"
    REGISTRATION_DISABLED = "REGISTRATION_DISABLED"
    # The patron's home shows other members as availability only: request through the
    # home's resource sharing instead of directly at the member (DOMAIN §5).
    RESOURCE_SHARING_ONLY = "RESOURCE_SHARING_ONLY"
    # Under MANUAL the patron registers (Register in Get It) before requesting directly.
    REGISTRATION_REQUIRED = "REGISTRATION_REQUIRED"
    RETURN_NOT_ALLOWED = "RETURN_NOT_ALLOWED"
    IDEMPOTENCY_MISMATCH = "IDEMPOTENCY_MISMATCH"
    MEMBER_UNAVAILABLE = "MEMBER_UNAVAILABLE"
    MEMBER_TIMEOUT = "MEMBER_TIMEOUT"
    ACCOUNT_LOCKED = "ACCOUNT_LOCKED"
    #: The caller asked more often than a limit allows (e.g. walk-in lookups per operator).
    RATE_LIMITED = "RATE_LIMITED"
    #: The HTTP request is not one the endpoint can read (not JSON, not an object, ...).
    BAD_REQUEST = "BAD_REQUEST"
    #: The body, the query document or a string in it is larger than the endpoint allows.
    PAYLOAD_TOO_LARGE = "PAYLOAD_TOO_LARGE"
    INTERNAL = "INTERNAL"


class DomainError(Exception):
    """Base of every error the services raise; carries a stable code."""

    code: ErrorCode = ErrorCode.INTERNAL

    def __init__(self, message: str, *, code: ErrorCode | None = None) -> None:
        super().__init__(message)
        self.message = message
        if code is not None:
            self.code = code


class NotFound(DomainError):
    code = ErrorCode.NOT_FOUND


class Forbidden(DomainError):
    code = ErrorCode.FORBIDDEN


class Unauthenticated(DomainError):
    code = ErrorCode.UNAUTHENTICATED


class AccountLocked(Unauthenticated):
    """Sign-in refused for ``retry_after`` seconds after repeated failures."""

    code = ErrorCode.ACCOUNT_LOCKED

    def __init__(self, message: str, *, retry_after: int) -> None:
        super().__init__(message)
        self.retry_after = retry_after


class InvalidInput(DomainError):
    code = ErrorCode.INVALID_INPUT


class Conflict(DomainError):
    code = ErrorCode.CONFLICT


class Ineligible(DomainError):
    code = ErrorCode.PATRON_NOT_ELIGIBLE
