"""Reading the ledger: a patron their own, home staff with the consortial services privilege
their institution's patrons; nobody else (DOMAIN §9).

There is no argument naming another institution: staff read only their own institution's
patrons, so a foreign patron cannot even be named. A patron naming someone else gets the
same refusal as any other caller without the right.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING

from sqlalchemy import select

from network_common.errors import Forbidden, InvalidInput
from network_common.tokens import Principal
from network_common.vocabulary import PrincipalKind

from ..activity.access import has_consortial_services
from ..store.models import PrivacyLedgerEntry

if TYPE_CHECKING:
    from ..runtime import HubRuntime

MAX_PAGE = 200
REFUSAL = (
    "A privacy ledger is read by its patron, or by staff of the patron's home institution "
    "who hold the consortial services privilege in a circulation desk or user management role"
)


@dataclass(frozen=True, slots=True)
class LedgerRow:
    id: int
    at: datetime
    kind: str
    patron_institution: str
    patron_id: str
    actor_kind: str
    actor_institution: str
    actor_id: str
    from_member: str
    to_member: str
    fields: tuple[str, ...]
    purpose: str
    outcome: str


def whose(principal: Principal, home_user_id: str | None) -> tuple[str, str]:
    """The patron whose ledger the caller may read, or Forbidden."""
    if principal.kind == PrincipalKind.PATRON:
        if home_user_id is not None and home_user_id != principal.primary_id:
            raise Forbidden(REFUSAL)
        return principal.institution, principal.primary_id
    if principal.kind == PrincipalKind.STAFF and has_consortial_services(principal):
        if not home_user_id:
            raise InvalidInput("Name the patron (homeUserId) whose ledger you read")
        return principal.institution, home_user_id
    raise Forbidden(REFUSAL)


async def read_ledger(
    *,
    runtime: HubRuntime,
    principal: Principal,
    home_user_id: str | None,
    first: int,
    before: int | None,
) -> Sequence[LedgerRow]:
    """The patron's entries, newest first (one statement, however many)."""
    home, user_id = whose(principal, home_user_id)
    if not 1 <= first <= MAX_PAGE:
        raise InvalidInput(f"first must be between 1 and {MAX_PAGE}")
    t = PrivacyLedgerEntry
    query = select(
        t.id,
        t.at,
        t.kind,
        t.patron_institution,
        t.patron_id,
        t.actor_kind,
        t.actor_institution,
        t.actor_id,
        t.from_member,
        t.to_member,
        t.fields,
        t.purpose,
        t.outcome,
    ).where(t.patron_institution == home, t.patron_id == user_id)
    if before is not None:
        query = query.where(t.id < before)
    query = query.order_by(t.id.desc()).limit(first)
    async with runtime.sessions() as session:
        rows = (await session.execute(query)).all()
    return [
        LedgerRow(
            id=r.id,
            at=r.at,
            kind=r.kind,
            patron_institution=r.patron_institution,
            patron_id=r.patron_id,
            actor_kind=r.actor_kind,
            actor_institution=r.actor_institution,
            actor_id=r.actor_id,
            from_member=r.from_member,
            to_member=r.to_member,
            fields=tuple(f for f in r.fields.split(",") if f),
            purpose=r.purpose,
            outcome=r.outcome,
        )
        for r in rows
    ]
