"""Closed sets only this node uses (the shared ones are in ``network_common.vocabulary``)."""

from __future__ import annotations

from enum import StrEnum


class UserKind(StrEnum):
    PATRON = "PATRON"
    STAFF = "STAFF"


class FeeStatus(StrEnum):
    OPEN = "OPEN"
    CLOSED = "CLOSED"


class FeeTransactionKind(StrEnum):
    PAYMENT = "PAYMENT"
    WAIVER = "WAIVER"
    # A lost item came back and its terms refund the lost fee: CREDIT cancels what was still
    # open, REFUND records what the patron had paid and is owed back.
    CREDIT = "CREDIT"
    REFUND = "REFUND"


class RegistrationRoleScope(StrEnum):
    """Desk registration: the new patron's role is scoped to the desk's library or not."""

    LIBRARY = "LIBRARY"
    INSTITUTION = "INSTITUTION"
