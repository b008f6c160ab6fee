"""Types shared by the hub's capabilities."""

from __future__ import annotations

import strawberry

from ..members.failures import MemberFailure, UnavailableCode

strawberry.enum(UnavailableCode, description="Why a member is missing from an answer.")


@strawberry.type(description="A member that could not answer; the rest of the answer stands.")
class MemberUnavailable:
    institution_code: str
    institution_name: str
    code: UnavailableCode
    message: str

    @classmethod
    def from_domain(cls, failure: MemberFailure) -> MemberUnavailable:
        return cls(
            institution_code=failure.member_code,
            institution_name=failure.member_name,
            code=failure.code,
            message=failure.message,
        )
