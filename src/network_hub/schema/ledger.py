"""``privacyLedger``: who saw a patron's limited information, and why (DOMAIN §9)."""

from __future__ import annotations

from datetime import datetime

import strawberry

from ..ledger import entries, reading
from .context import HubInfo

LedgerKind = strawberry.enum(entries.LedgerKind, description="Why patron information crossed.")
LedgerOutcome = strawberry.enum(entries.LedgerOutcome, description="What a lookup found.")
LedgerActorKind = strawberry.enum(entries.ActorKind, name="LedgerActorKind")


@strawberry.type(
    description="One crossing of the patron's limited information over a member boundary."
)
class PrivacyLedgerEntry:
    id: int = strawberry.field(description="Newest first; pass as before to page back")
    at: datetime
    kind: LedgerKind  # type: ignore[valid-type]
    home_institution: str
    home_user_id: str
    actor_kind: LedgerActorKind  # type: ignore[valid-type]
    actor_institution: str = strawberry.field(description="The institution of who caused it")
    actor_id: str = strawberry.field(description="The operator's (or patron's) primary id")
    from_member: str = strawberry.field(description="Where the information came from")
    to_member: str = strawberry.field(description="Where it went")
    fields: list[str] = strawberry.field(description="What crossed (empty: nothing)")
    purpose: str
    outcome: LedgerOutcome  # type: ignore[valid-type]

    @classmethod
    def from_domain(cls, row: reading.LedgerRow) -> PrivacyLedgerEntry:
        return cls(
            id=row.id,
            at=row.at,
            kind=entries.LedgerKind(row.kind),
            home_institution=row.patron_institution,
            home_user_id=row.patron_id,
            actor_kind=entries.ActorKind(row.actor_kind),
            actor_institution=row.actor_institution,
            actor_id=row.actor_id,
            from_member=row.from_member,
            to_member=row.to_member,
            fields=list(row.fields),
            purpose=row.purpose,
            outcome=entries.LedgerOutcome(row.outcome),
        )


@strawberry.type
class LedgerQuery:
    @strawberry.field(
        description="The privacy ledger of a patron, newest first: with a patron token their "
        "own (homeUserId omitted); home staff with the consortial services privilege name "
        "one of their institution's patrons (homeUserId). Anyone else is refused."
    )
    async def privacy_ledger(
        self,
        info: HubInfo,
        home_user_id: str | None = None,
        first: int = 50,
        before: int | None = None,
    ) -> list[PrivacyLedgerEntry]:
        ctx = info.context
        rows = await reading.read_ledger(
            runtime=ctx.runtime,
            principal=ctx.caller(),
            home_user_id=home_user_id,
            first=first,
            before=before,
        )
        return [PrivacyLedgerEntry.from_domain(r) for r in rows]
