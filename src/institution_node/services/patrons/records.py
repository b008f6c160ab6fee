"""Blocks, notes, statistical categories, notifications and attachments on a patron record.

Each is owned by a library or the institution (DOMAIN §7): lists show only what the
operator's libraries or the institution own, and removing something hidden answers
NOT_FOUND like something missing.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum
from typing import Any

from sqlalchemy import delete, select
from sqlalchemy.ext.asyncio import AsyncSession

from network_common.errors import InvalidInput, NotFound
from network_common.scope import Scope
from network_common.tokens import Principal

from ...domain.visibility import Kind, may_act_on_owned
from ...outbox import MessageStatus
from ...store.models import (
    Attachment,
    Block,
    Library,
    Note,
    Notification,
    OutboxMessage,
    StatCategory,
)
from ...store.visibility_sql import owned_columns, visible_clause
from ..circulation import common


class RecordKind(StrEnum):
    BLOCK = "BLOCK"
    NOTE = "NOTE"
    STAT_CATEGORY = "STAT_CATEGORY"
    NOTIFICATION = "NOTIFICATION"
    ATTACHMENT = "ATTACHMENT"


_MODELS: dict[RecordKind, Any] = {
    RecordKind.BLOCK: Block,
    RecordKind.NOTE: Note,
    RecordKind.STAT_CATEGORY: StatCategory,
    RecordKind.NOTIFICATION: Notification,
    RecordKind.ATTACHMENT: Attachment,
}


@dataclass(frozen=True, slots=True)
class OwnedView:
    """One owned record; ``fields`` holds its own columns (text, description...)."""

    id: int
    owner_library: str | None  # None: the institution
    fields: dict[str, Any]


_FIELDS: dict[RecordKind, tuple[str, ...]] = {
    RecordKind.BLOCK: ("block_type", "description", "expiry_date", "created_at"),
    RecordKind.NOTE: ("text", "created_at"),
    RecordKind.STAT_CATEGORY: ("category", "value"),
    RecordKind.NOTIFICATION: ("letter", "reply_to", "subject", "body", "created_at"),
    RecordKind.ATTACHMENT: ("name", "content_type", "notification_id", "created_at"),
}


async def list_records(
    session: AsyncSession, *, actor: Principal, user_id: int, kind: RecordKind
) -> list[OwnedView]:
    """The patron's records of ``kind`` that the operator may see (one statement)."""
    facts = await common.facts(session)
    model = _MODELS[kind]
    if kind is RecordKind.NOTIFICATION:
        return await _notifications(session, actor=actor, user_id=user_id, model=facts.model)
    rows = await session.execute(
        select(model, Library.code)
        .outerjoin(Library, Library.id == model.owner_library_id)
        .where(
            model.user_id == user_id,
            visible_clause(
                Kind(kind.value),
                facts.model,
                common.viewer_scope(actor),
                owned_columns(model.owner_library_id),
            ),
        )
        .order_by(model.id)
    )
    return [
        OwnedView(
            id=row.id,
            owner_library=code,
            fields={name: getattr(row, name) for name in _FIELDS[kind]},
        )
        for row, code in rows
    ]


class DeliveryStatus(StrEnum):
    """Where a letter's e-mail is (DOMAIN §7 letters leave by e-mail, ``mail/``)."""

    PENDING = "PENDING"  # waiting to be sent, or being retried
    SENT = "SENT"
    FAILED = "FAILED"  # given up; ``delivery_error`` says why
    NOT_SENT = "NOT_SENT"  # no e-mail: the patron has no address, or mail was off


_DELIVERY = {
    MessageStatus.PENDING.value: DeliveryStatus.PENDING,
    MessageStatus.SENDING.value: DeliveryStatus.PENDING,
    MessageStatus.SENT.value: DeliveryStatus.SENT,
    MessageStatus.FAILED.value: DeliveryStatus.FAILED,
}


async def _notifications(
    session: AsyncSession, *, actor: Principal, user_id: int, model: Any
) -> list[OwnedView]:
    """Notifications with their e-mail's delivery state (one statement)."""
    rows = await session.execute(
        select(
            Notification,
            Library.code,
            OutboxMessage.status,
            OutboxMessage.attempts,
            OutboxMessage.sent_at,
            OutboxMessage.last_error,
        )
        .outerjoin(Library, Library.id == Notification.owner_library_id)
        .outerjoin(OutboxMessage, OutboxMessage.id == Notification.outbox_message_id)
        .where(
            Notification.user_id == user_id,
            visible_clause(
                Kind.NOTIFICATION,
                model,
                common.viewer_scope(actor),
                owned_columns(Notification.owner_library_id),
            ),
        )
        .order_by(Notification.id)
    )
    views = []
    for row, code, status, attempts, sent_at, error in rows:
        fields = {name: getattr(row, name) for name in _FIELDS[RecordKind.NOTIFICATION]}
        fields["delivery_status"] = DeliveryStatus.NOT_SENT if status is None else _DELIVERY[status]
        fields["delivery_attempts"] = attempts or 0
        fields["delivered_at"] = sent_at
        fields["delivery_error"] = error
        views.append(OwnedView(id=row.id, owner_library=code, fields=fields))
    return views


async def _owner(session: AsyncSession, *, scope: Scope, library_code: str | None) -> int | None:
    facts = await common.facts(session)
    owner: int | None = None
    if library_code is not None:
        owner = await session.scalar(select(Library.id).where(Library.code == library_code))
        if owner is None:
            raise NotFound(f"No library {library_code}")
    if not may_act_on_owned(facts.model, scope, owner):
        raise NotFound(f"No library {library_code} in your scope")
    return owner


async def add_record(
    session: AsyncSession,
    *,
    actor: Principal,
    patron_primary_id: str,
    kind: RecordKind,
    owner_library_code: str | None,
    values: dict[str, Any],
) -> OwnedView:
    """Add a block, note or statistical category owned by ``owner_library_code``; commits."""
    scope = common.acting_scope(actor, common.RECORD_ROLES)
    if kind not in (RecordKind.BLOCK, RecordKind.NOTE, RecordKind.STAT_CATEGORY):
        raise InvalidInput(f"{kind.value} records cannot be added by hand")
    for name, value in values.items():
        if isinstance(value, str) and not value.strip():
            raise InvalidInput(f"{name} must not be empty")
    common.fit_columns(_MODELS[kind], **values)
    patron = await common.find_patron(session, primary_id=patron_primary_id)
    owner = await _owner(session, scope=scope, library_code=owner_library_code)
    extra: dict[str, Any] = {}
    if kind is not RecordKind.STAT_CATEGORY:
        extra["created_at"] = common.now()
    row = _MODELS[kind](user_id=patron.id, owner_library_id=owner, **values, **extra)
    session.add(row)
    await session.commit()
    return OwnedView(
        id=row.id,
        owner_library=owner_library_code,
        fields={name: getattr(row, name) for name in _FIELDS[kind]},
    )


async def remove_record(
    session: AsyncSession, *, actor: Principal, kind: RecordKind, record_id: int
) -> int:
    """Remove a block, note or statistical category the operator may act on; commits."""
    scope = common.acting_scope(actor, common.RECORD_ROLES)
    facts = await common.facts(session)
    model = _MODELS[kind]
    owner = await session.execute(select(model.owner_library_id).where(model.id == record_id))
    found = owner.first()
    if found is None or not may_act_on_owned(facts.model, scope, found[0]):
        raise NotFound(f"No such {kind.value.lower().replace('_', ' ')}")
    await session.execute(delete(model).where(model.id == record_id))
    await session.commit()
    return record_id
