"""The acting desk is checked with the caller's own member; an unknown desk is named so."""

from __future__ import annotations

from typing import Any

import pytest

from network_common.errors import DomainError, ErrorCode
from network_common.tokens import Principal, RoleGrant
from network_common.vocabulary import DESK_ROLES, PrincipalKind, StaffRoleType
from network_hub.fulfilment import access
from network_hub.fulfilment.calls import refusal

OPERATOR = Principal(
    kind=PrincipalKind.STAFF,
    institution="UNIC",
    user_id=1,
    primary_id="unic-op",
    session_id="s",
    roles=(RoleGrant(StaffRoleType.CIRCULATION_DESK_OPERATOR, None, False),),
)


async def test_an_unknown_desk_is_named_as_the_callers_own(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    async def no_such_desk(**_kwargs: Any) -> dict[str, Any]:
        raise refusal("University UNIC", ErrorCode.NOT_FOUND)

    monkeypatch.setattr(access, "call", no_such_desk)
    with pytest.raises(DomainError) as refused:
        await access.acting_desk(
            runtime=None,  # type: ignore[arg-type]
            principal=OPERATOR,
            desk_code="NO-DESK",
            roles=DESK_ROLES,
        )
    assert refused.value.code is ErrorCode.NOT_FOUND
    assert refused.value.message == "Your institution has no desk NO-DESK"
