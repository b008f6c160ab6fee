"""What can go wrong with an incoming ISO 18626 message, in the protocol's own words.

::

    IsoError                  answered as a Confirmation with messageStatus ERROR
     └ carries ErrorType      the XSD's type_errorType (errorData/errorType)

Domain errors raised by the services (an illegal step, an unknown request) are mapped to an
``IsoError`` at the boundary (``handlers``); nothing else ever reaches the partner.
"""

from __future__ import annotations

from enum import StrEnum


class ErrorType(StrEnum):
    UNSUPPORTED_ACTION_TYPE = "UnsupportedActionType"
    UNSUPPORTED_REASON_FOR_MESSAGE_TYPE = "UnsupportedReasonForMessageType"
    UNRECOGNISED_DATA_ELEMENT = "UnrecognisedDataElement"
    UNRECOGNISED_DATA_VALUE = "UnrecognisedDataValue"
    BADLY_FORMED_MESSAGE = "BadlyFormedMessage"


class IsoError(Exception):
    """A message we cannot act on: ``error_type`` and the ``value`` (errorValue) naming
    what was wrong, in words a partner's staff can read."""

    def __init__(self, error_type: ErrorType, value: str) -> None:
        super().__init__(value)
        self.error_type = error_type
        self.value = value[:500]
