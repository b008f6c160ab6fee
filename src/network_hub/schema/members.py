"""``members``: the network's institutions, whether each answers, and its Get It setting."""

from __future__ import annotations

import strawberry

from network_common.graphql_vocabulary import RemoteRegister

from ..members.info import MemberStatus
from .context import HubInfo


@strawberry.type(description="A member institution of the network.")
class NetworkMember:
    code: str
    name: str
    reachable: bool
    uresolver_remote_register: RemoteRegister | None = strawberry.field(
        description="The member's own setting as it reports it (null when unreachable)"
    )

    @classmethod
    def from_domain(cls, status: MemberStatus) -> NetworkMember:
        return cls(
            code=status.code,
            name=status.name,
            reachable=status.reachable,
            uresolver_remote_register=status.info.remote_register if status.info else None,
        )


@strawberry.type
class MembersQuery:
    @strawberry.field(description="Every member in the network file, in its order.")
    async def members(self, info: HubInfo) -> list[NetworkMember]:
        info.context.caller()
        statuses = await info.context.runtime.member_info.all()
        return [NetworkMember.from_domain(s) for s in statuses]
