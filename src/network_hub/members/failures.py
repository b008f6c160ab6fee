"""What a member that could not answer turns into: an entry beside the others' answers."""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum


class UnavailableCode(StrEnum):
    MEMBER_TIMEOUT = "MEMBER_TIMEOUT"
    MEMBER_UNAVAILABLE = "MEMBER_UNAVAILABLE"
    MEMBER_ERROR = "MEMBER_ERROR"
    CIRCUIT_OPEN = "CIRCUIT_OPEN"
    #: The hub has not yet read this member's linked accounts (since it started).
    INDEX_NOT_READY = "INDEX_NOT_READY"
    #: The hub's last attempt to bring this member's linked accounts up to date failed.
    INDEX_STALE = "INDEX_STALE"


# Messages are fixed texts: a member's URL, stack trace or raw error never reaches a caller.
MESSAGES = {
    UnavailableCode.MEMBER_TIMEOUT: "The institution did not answer in time",
    UnavailableCode.MEMBER_UNAVAILABLE: "The institution cannot be reached",
    UnavailableCode.MEMBER_ERROR: "The institution could not answer this question",
    UnavailableCode.CIRCUIT_OPEN: "The institution is failing; calls are paused for a while",
    UnavailableCode.INDEX_NOT_READY: (
        "The network has not yet learned which patrons hold accounts at this institution"
    ),
    UnavailableCode.INDEX_STALE: (
        "The network's list of patrons holding accounts at this institution may be out of date"
    ),
}


@dataclass(eq=False)
class MemberFailure(Exception):
    """A member call that failed; ``as_entry`` is the public ``unavailable`` entry."""

    member_code: str
    member_name: str
    code: UnavailableCode
    #: Upstream GraphQL error codes (e.g. NOT_FOUND), for callers that want to react to them.
    upstream_codes: tuple[str, ...] = ()

    @property
    def message(self) -> str:
        return MESSAGES[self.code]

    def as_entry(self) -> dict[str, str]:
        return {
            "institutionCode": self.member_code,
            "institutionName": self.member_name,
            "code": self.code.value,
            "message": self.message,
        }
