"""Writing the ledger: one row per crossing, in the hub's database, as it happens.

Callers say who (a verified principal, or the hub itself), what (the fields, from and to
which member) and why; ``record`` writes them in one statement, so a Network Activity view
over five members costs one insert, not five, and concurrent callers share one insert and
one transaction (group commit, ``writer.py``). Rows are never changed afterwards, except a
walk-in lookup's outcome, written first and settled once the home has answered.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum
from typing import TYPE_CHECKING

from sqlalchemy import func, insert, select, update
from sqlalchemy.exc import IntegrityError

from network_common.models_base import utcnow
from network_common.tokens import Principal

from ..store.models import PrivacyLedgerEntry

if TYPE_CHECKING:
    from ..runtime import HubRuntime


class LedgerKind(StrEnum):
    """Why limited patron information crossed a member boundary."""

    LINKED_ACCOUNT = "LINKED_ACCOUNT"  # a linked account created or refreshed from home
    GETIT_REGISTRATION = "GETIT_REGISTRATION"  # the patron pressed Register in Get It
    WALK_IN_LOOKUP = "WALK_IN_LOOKUP"  # a desk looked the patron up at their home
    NETWORK_ACTIVITY = "NETWORK_ACTIVITY"  # home staff read the patron's activity


class LedgerOutcome(StrEnum):
    MATCHED = "MATCHED"
    NO_MATCH = "NO_MATCH"  # a lookup that found nobody: nothing about the patron crossed
    REFUSED = "REFUSED"  # a lookup refused before it was asked (rate limit)


class ActorKind(StrEnum):
    STAFF = "STAFF"
    PATRON = "PATRON"
    HUB = "HUB"  # the hub on its own (none today; kept for scheduled refreshes)


#: The limited record a linked account is made from (DOMAIN §1).
PATRON_FIELDS = ("firstName", "lastName", "email", "userGroup", "expiryDate")
#: What home staff read in Network Activity.
ACTIVITY_FIELDS = ("loans", "requests", "fees")


@dataclass(frozen=True, slots=True)
class Actor:
    kind: ActorKind
    institution: str
    id: str

    @classmethod
    def of(cls, principal: Principal) -> Actor:
        kind = ActorKind.PATRON if principal.kind.value == "patron" else ActorKind.STAFF
        return cls(kind=kind, institution=principal.institution, id=principal.primary_id)


@dataclass(frozen=True, slots=True)
class Crossing:
    kind: LedgerKind
    patron: tuple[str, str]  # (home institution, home primary id)
    actor: Actor
    from_member: str
    to_member: str
    fields: Sequence[str]
    purpose: str
    outcome: LedgerOutcome = LedgerOutcome.MATCHED


def _row(crossing: Crossing, at: datetime) -> dict[str, object]:
    return {
        "at": at,
        "kind": crossing.kind.value,
        "patron_institution": crossing.patron[0],
        "patron_id": crossing.patron[1],
        "actor_kind": crossing.actor.kind.value,
        "actor_institution": crossing.actor.institution,
        "actor_id": crossing.actor.id,
        "from_member": crossing.from_member,
        "to_member": crossing.to_member,
        "fields": ",".join(crossing.fields),
        "purpose": crossing.purpose,
        "outcome": crossing.outcome.value,
    }


async def record(*, runtime: HubRuntime, crossings: Sequence[Crossing]) -> list[int]:
    """Write the crossings, at one time, with the next group commit (``writer.py``); their
    ids in order, once committed."""
    at = utcnow()
    return await runtime.ledger_writer.write([_row(c, at) for c in crossings])


async def not_crossed(*, runtime: HubRuntime, entry_ids: Sequence[int]) -> None:
    """Entries written before the members were asked, for the members that then sent
    nothing: NO_MATCH, no fields. By id: rows of other callers written in the same flush
    (even at the same time, for the same patron and operator) are left alone."""
    if not entry_ids:
        return
    t = PrivacyLedgerEntry
    async with runtime.sessions() as session, session.begin():
        await session.execute(
            update(t)
            .where(t.id.in_(list(entry_ids)))
            .values(outcome=LedgerOutcome.NO_MATCH.value, fields="")
        )


async def reserve_lookup(
    *,
    runtime: HubRuntime,
    crossing: Crossing,
    request_key: str,
    limit: int,
    window_seconds: float,
) -> int | None:
    """Write the walk-in lookup first, then count the actor's lookups in the window up to
    and including it: the id of the entry when within ``limit``, None when over it (the
    entry then says REFUSED). Counting after the write means concurrent lookups, on one
    hub or several replicas, can only be refused too often, never let through. A retry
    under the same ``request_key`` is the same lookup (the same entry, counted once)."""
    at = utcnow()
    t = PrivacyLedgerEntry
    async with runtime.sessions() as session:
        try:
            async with session.begin():
                entry_id = await session.scalar(
                    insert(t).values(**_row(crossing, at), request_key=request_key).returning(t.id)
                )
        except IntegrityError:
            entry_id = await session.scalar(select(t.id).where(t.request_key == request_key))
            if entry_id is None:  # refused meanwhile (its key was given up): a fresh try
                return await reserve_lookup(
                    runtime=runtime,
                    crossing=crossing,
                    request_key=request_key,
                    limit=limit,
                    window_seconds=window_seconds,
                )
            return int(entry_id)
    assert entry_id is not None
    async with runtime.sessions() as session, session.begin():
        count = await session.scalar(
            select(func.count())
            .select_from(t)
            .where(
                t.actor_institution == crossing.actor.institution,
                t.actor_id == crossing.actor.id,
                t.kind == LedgerKind.WALK_IN_LOOKUP.value,
                t.at >= at - timedelta(seconds=window_seconds),
                t.outcome != LedgerOutcome.REFUSED.value,
                t.id <= entry_id,
            )
        )
        if int(count or 0) <= limit:
            return int(entry_id)
        # Refused: the key is given up, so a retry after the window is a fresh lookup.
        await session.execute(
            update(t)
            .where(t.id == entry_id)
            .values(outcome=LedgerOutcome.REFUSED.value, request_key=None)
        )
    return None


async def settle_lookup(
    *, runtime: HubRuntime, entry_id: int, outcome: LedgerOutcome, fields: Sequence[str]
) -> None:
    """What a reserved lookup found (and so what crossed)."""
    async with runtime.sessions() as session, session.begin():
        await session.execute(
            update(PrivacyLedgerEntry)
            .where(PrivacyLedgerEntry.id == entry_id)
            .values(outcome=outcome.value, fields=",".join(fields))
        )
