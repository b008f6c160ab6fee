"""What the resource sharing services share: who may act, locking, history lines.

Staff work resource sharing through the Fulfillment Services Operator / Manager roles
(``RESOURCE_SHARING_ROLES``), in the scope of their resource sharing libraries; the
directory (partners, rotas) is the institution's configuration, kept by institution-wide
managers or fulfillment administrators. Protocol handlers act for a partner (``Actor``
with ``partner`` set) and are not subject to staff scope.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from enum import StrEnum

from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession

from network_common.errors import Forbidden, InvalidInput, NotFound
from network_common.scope import Scope
from network_common.tokens import Principal
from network_common.vocabulary import (
    RESOURCE_SHARING_ROLES,
    IndependenceModel,
    PrincipalKind,
    StaffRoleType,
)

from ...store.models import (
    BorrowingRequest,
    History,
    Institution,
    LendingRequest,
    Partner,
)

#: Roles that keep the partner directory and the rotas (institution-wide only).
DIRECTORY_ROLES = frozenset(
    {StaffRoleType.FULFILLMENT_SERVICES_MANAGER, StaffRoleType.FULFILLMENT_ADMINISTRATOR}
)
NOTE_MAX = 1000  # seed 003: notes and assignment notes are limited to 1,000 characters


class HistoryCategory(StrEnum):
    """What a history line records."""

    MESSAGE_IN = "MESSAGE_IN"
    MESSAGE_OUT = "MESSAGE_OUT"
    STATUS = "STATUS"
    NOTE = "NOTE"
    ALERT = "ALERT"


def now() -> datetime:
    return datetime.now(UTC)


@dataclass(frozen=True, slots=True)
class Actor:
    """Who takes a step: an operator (``principal``), a partner's message (``partner``),
    or the node itself (neither: jobs, automatic steps)."""

    principal: Principal | None = None
    partner: Partner | None = None

    @property
    def label(self) -> str:
        if self.principal is not None:
            return self.principal.primary_id
        if self.partner is not None:
            return self.partner.code
        return "SYSTEM"


SYSTEM = Actor()


def staff_scope(actor: Principal) -> Scope:
    """The resource sharing libraries of an operator; refused without a resource sharing
    role."""
    if actor.kind != PrincipalKind.STAFF or not actor.has_any_role(RESOURCE_SHARING_ROLES):
        raise Forbidden("Your roles do not include resource sharing")
    return actor.scope(RESOURCE_SHARING_ROLES)


def directory_keeper(actor: Principal) -> None:
    """Partners and rotas are institution configuration: institution-wide managers only."""
    if actor.kind != PrincipalKind.STAFF or not actor.has_any_role(DIRECTORY_ROLES):
        raise Forbidden("Only fulfillment services managers keep the partner directory")
    if not actor.scope(DIRECTORY_ROLES).institution:
        raise Forbidden("The partner directory is kept by institution-wide managers")


async def institution(session: AsyncSession) -> Institution:
    inst: Institution | None = await session.scalar(select(Institution))
    if inst is None:
        raise NotFound("No institution is loaded on this node")
    return inst


async def model(session: AsyncSession) -> IndependenceModel:
    inst = await institution(session)
    return IndependenceModel(inst.fulfillment_independence_model)


def clean_text(value: str | None, *, field: str, limit: int = NOTE_MAX) -> str | None:
    """Trimmed text or None; INVALID_INPUT beyond ``limit`` characters."""
    if value is None:
        return None
    text = value.strip()
    if len(text) > limit:
        raise InvalidInput(f"{field} must not be longer than {limit} characters")
    return text or None


async def lock_lending(session: AsyncSession, request_id: int) -> LendingRequest:
    row = await session.scalar(
        select(LendingRequest).where(LendingRequest.id == request_id).with_for_update()
    )
    if row is None:
        raise NotFound("No such lending request")
    return row


async def lock_borrowing(session: AsyncSession, request_id: int) -> BorrowingRequest:
    row = await session.scalar(
        select(BorrowingRequest).where(BorrowingRequest.id == request_id).with_for_update()
    )
    if row is None:
        raise NotFound("No such borrowing request")
    return row


def history(
    session: AsyncSession,
    *,
    category: str,
    kind: str,
    actor: Actor,
    lending_id: int | None = None,
    borrowing_id: int | None = None,
    note: str | None = None,
    from_status: str | None = None,
    to_status: str | None = None,
    partner_id: int | None = None,
    active: bool = False,
    outbox_message_id: int | None = None,
    payload: dict[str, object] | None = None,
) -> History:
    """Add one history line to the session (the caller flushes/commits)."""
    line = History(
        lending_request_id=lending_id,
        borrowing_request_id=borrowing_id,
        category=category,
        kind=kind,
        note=note,
        from_status=from_status,
        to_status=to_status,
        partner_id=partner_id,
        actor=actor.label,
        active=active,
        outbox_message_id=outbox_message_id,
        payload=payload,
        created_at=now(),
    )
    session.add(line)
    return line


async def dismiss(
    session: AsyncSession,
    *,
    category: str,
    lending_id: int | None = None,
    borrowing_id: int | None = None,
    history_ids: list[int] | None = None,
) -> int:
    """Dismiss active notes or alerts of a request (all, or the given lines); how many."""
    where = [History.category == category, History.active.is_(True)]
    if lending_id is not None:
        where.append(History.lending_request_id == lending_id)
    if borrowing_id is not None:
        where.append(History.borrowing_request_id == borrowing_id)
    if history_ids is not None:
        where.append(History.id.in_(history_ids))
    result = await session.execute(
        update(History)
        .where(*where)
        .values(active=False)
        .execution_options(synchronize_session=False)
    )
    return int(result.rowcount or 0)  # type: ignore[attr-defined]
