"""``members``: the network's institutions, whether each answers, and its Get It setting."""

from __future__ import annotations

import strawberry

from network_common.graphql_vocabulary import RemoteRegister

from ..services.members import MemberOverview, member_overview
from .context import HubInfo


@strawberry.type(description="A member institution of the network.")
class NetworkMember:
    code: str
    name: str
    reachable: bool
    uresolver_remote_register: RemoteRegister | None = strawberry.field(
        description="The member's own setting as it reports it (null when unreachable)"
    )
    accepted: bool = strawberry.field(
        default=True,
        description="The node at the member's URL declares this code, publishes its keys and "
        "accepts the hub's service tokens; tokens in a refused member's name are refused",
    )
    problem: str | None = strawberry.field(
        default=None, description="Why the hub refuses the member (null when accepted)"
    )

    @classmethod
    def from_domain(cls, overview: MemberOverview) -> NetworkMember:
        status = overview.status
        return cls(
            code=status.code,
            name=status.name,
            reachable=status.reachable,
            uresolver_remote_register=status.info.remote_register if status.info else None,
            accepted=overview.problem is None,
            problem=overview.problem,
        )


@strawberry.type
class MembersQuery:
    @strawberry.field(description="Every member in the network file, in its order.")
    async def members(self, info: HubInfo) -> list[NetworkMember]:
        info.context.caller()
        return [
            NetworkMember.from_domain(m)
            for m in await member_overview(runtime=info.context.runtime)
        ]
