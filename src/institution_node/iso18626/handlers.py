"""An authenticated, decoded message → the resource sharing services, exactly once.

A ``Request`` creates a lending request; the borrower's RequestingAgencyMessages move
it; a supplier's SupplyingAgencyMessages move our borrowing request (named by our wire id,
``<code>-<id>-<attempt>``: only the partner asked now may, except that a partner we moved
on from may answer the Cancel we sent it).

**Deduplication.** Each message is recorded in ``rs_incoming_message`` by the digest of
(sender agency, requestingAgencyRequestId, message kind — action, or reasonForMessage and
status —, header timestamp), *before* the step runs and in the step's own transaction,
with the confirmation we answered. The same message again finds the row and gets the same
answer without touching anything; two copies arriving at once meet at the row's unique
key (PostgreSQL makes the second wait for the first and then fail; SQLite's write lock
serialises them), so one state change happens whatever the count. A message whose step
fails is rolled back with its row: sending it again tries again.
"""

from __future__ import annotations

import asyncio
import contextlib
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from network_common.errors import DomainError, NotFound

from ..services.resource_sharing import annotations as notes
from ..services.resource_sharing import (
    borrowing,
    borrowing_loans,
    lending,
    lending_loans,
    lending_steps,
)
from ..services.resource_sharing.common import SYSTEM, Actor
from ..services.resource_sharing.lending import PartnerAsk
from ..services.resource_sharing.messages import MessageKind
from ..store.models import IncomingMessage, LendingRequest, Partner
from .codec import FAMILY_REQUEST, FAMILY_REQUESTER, Facts, Incoming, confirmation
from .errors import ErrorType, IsoError
from .wire import message, serialize

K = MessageKind
Side = notes.Side
UNKNOWN_REQUEST = "requestingAgencyRequestId: no open request of yours has this id here"
_ATTEMPTS = 3


async def handle(
    sessions: async_sessionmaker[AsyncSession],
    *,
    partner_id: int,
    incoming: Incoming,
    echo: Facts,
    own_code: str,
    received_at: datetime,
    now: datetime,
    writer: asyncio.Lock | None = None,
) -> bytes:
    """Act on ``incoming`` once and answer its OK confirmation (the stored one when it was
    seen before); IsoError (nothing changed) when the step cannot be taken. ``writer``
    queues this process's message transactions in turn (SQLite, whose own busy wait is
    unfair: a writer could wait seconds behind later ones)."""
    digest = incoming.dedup_digest()
    # The OK answer depends on the message alone: stored with the row at once.
    answer = serialize(message(confirmation(echo, now=now, received_at=received_at)))
    for _ in range(_ATTEMPTS):
        async with writer or contextlib.nullcontext(), sessions() as session:
            stored = await session.scalar(
                select(IncomingMessage.confirmation).where(
                    IncomingMessage.partner_id == partner_id, IncomingMessage.digest == digest
                )
            )
            if stored:
                return stored.encode()
            ledger = IncomingMessage(
                partner_id=partner_id,
                digest=digest,
                confirmation=answer.decode(),
                received_at=received_at,
            )
            session.add(ledger)
            try:
                await session.flush()
                partner = await session.get_one(Partner, partner_id)
                await dispatch(session, partner=partner, incoming=incoming, own_code=own_code)
                await session.commit()
            except IntegrityError:
                # A twin was recorded meanwhile (or a concurrent first request): look again.
                await session.rollback()
                continue
            except DomainError as error:
                await session.rollback()
                raise _wire_error(error) from error
            except BaseException:
                await session.rollback()
                raise
            return answer
    raise RuntimeError("the message could not be recorded")  # pragma: no cover


def _wire_error(error: DomainError) -> IsoError:
    if isinstance(error, NotFound):
        return IsoError(ErrorType.UNRECOGNISED_DATA_VALUE, UNKNOWN_REQUEST)
    return IsoError(ErrorType.UNRECOGNISED_DATA_VALUE, error.message)


async def dispatch(
    session: AsyncSession, *, partner: Partner, incoming: Incoming, own_code: str
) -> None:
    """Take the step ``incoming`` asks for (no commit)."""
    if incoming.family == FAMILY_REQUEST:
        await _request(session, partner, incoming)
    elif incoming.family == FAMILY_REQUESTER:
        await _from_requester(session, partner, incoming)
    else:
        await _from_supplier(session, partner, incoming, own_code)


async def _request(session: AsyncSession, partner: Partner, incoming: Incoming) -> None:
    m = incoming.message
    bib = m.bibliographic
    if bib is None or not (bib.title or bib.record_id):
        raise IsoError(
            ErrorType.BADLY_FORMED_MESSAGE,
            "bibliographicInfo: give a title or the supplierUniqueRecordId",
        )
    name = " ".join(n for n in (m.patron_given_name, m.patron_surname) if n) or None
    ask = PartnerAsk(
        partner_request_id=m.requester_request_id,
        bibliographic=bib,
        service_type=m.extra.get("service_type", "LOAN"),
        needed_by=m.needed_by,
        patron_reference=m.patron_id,
        patron_name=name,
        pickup_location=m.pickup_location,
        note=m.note,
    )
    await lending.receive_request(session, partner=partner, ask=ask)


async def _from_requester(session: AsyncSession, partner: Partner, incoming: Incoming) -> None:
    m = incoming.message
    request_id = await session.scalar(
        select(LendingRequest.id).where(
            LendingRequest.partner_id == partner.id,
            LendingRequest.partner_request_id == m.requester_request_id,
        )
    )
    if request_id is None:
        raise IsoError(ErrorType.UNRECOGNISED_DATA_VALUE, UNKNOWN_REQUEST)
    actor = Actor(partner=partner)
    if m.kind is K.CANCEL:
        await lending.partner_cancel(session, note=m.note, actor=actor, request_id=request_id)
    elif m.kind is K.RENEW:
        await lending_loans.partner_renew_request(
            session, note=m.note, actor=actor, request_id=request_id
        )
    elif m.kind is K.SHIPPED_RETURN:
        await lending_loans.partner_returned(
            session, note=m.note, actor=actor, request_id=request_id
        )
    elif m.kind is K.ACCEPT_CONDITIONS:
        await lending.conditions_answered(
            session, accepted=True, note=m.note, actor=actor, request_id=request_id
        )
    elif m.kind is K.STATUS_REQUEST:
        request = await lending_steps.for_change(session, actor=actor, request_id=request_id)
        await lending_steps.tell_partner(session, request, K.STATUS_RESPONSE, actor=SYSTEM)
    else:
        kind = {K.RECEIVED: "RECEIVED", K.REPORT_LOST: "REPORTED_LOST"}.get(m.kind, "NOTIFICATION")
        await notes.partner_message(
            session, side=Side.LENDING, note=m.note, kind=kind, actor=actor, request_id=request_id
        )


async def _from_supplier(
    session: AsyncSession, partner: Partner, incoming: Incoming, own_code: str
) -> None:
    m = incoming.message
    row, current = await borrowing.request_for_wire_id(
        session, wire_id=m.requester_request_id, own_code=own_code
    )
    if row is not None and not current and m.kind is K.CANCEL_RESPONSE:
        # The answer to the Cancel we sent when we moved on from this partner.
        if await borrowing.earlier_partner_cancel_answer(
            session, partner=partner, request_id=row.id, accepted=bool(m.answer), note=m.note
        ):
            return
    if row is None or not current or row.partner_id != partner.id:
        raise IsoError(ErrorType.UNRECOGNISED_DATA_VALUE, UNKNOWN_REQUEST)
    actor = Actor(partner=partner)
    request_id = row.id
    if m.kind is K.WILL_SUPPLY:
        await borrowing.partner_will_supply(
            session,
            partner_request_id=m.supplier_request_id,
            note=m.note,
            actor=actor,
            request_id=request_id,
        )
    elif m.kind is K.CONDITIONAL:
        await borrowing.partner_conditional(
            session,
            condition=m.reason or "CONDITIONAL",
            note=m.note,
            partner_request_id=m.supplier_request_id,
            actor=actor,
            request_id=request_id,
        )
    elif m.kind is K.UNFILLED:
        await borrowing.partner_unfilled(
            session, reason=m.reason, note=m.note, actor=actor, request_id=request_id
        )
    elif m.kind is K.LOANED:
        shipped = m.extra.get("shipped_at")
        await borrowing_loans.partner_shipped(
            session,
            due_at=m.due_at,
            shipped_at=datetime.fromisoformat(shipped) if shipped else None,
            partner_item_id=m.item_id,
            partner_request_id=m.supplier_request_id,
            note=m.note,
            actor=actor,
            request_id=request_id,
        )
    elif m.kind is K.OVERDUE:
        await borrowing_loans.partner_overdue(
            session, note=m.note, actor=actor, request_id=request_id
        )
    elif m.kind is K.RECALLED:
        await borrowing_loans.partner_recalled(
            session, note=m.note, actor=actor, request_id=request_id
        )
    elif m.kind is K.LOAN_COMPLETED:
        await borrowing_loans.partner_checked_in(
            session, note=m.note, actor=actor, request_id=request_id
        )
    elif m.kind is K.LOST:
        await borrowing_loans.partner_declared_lost(
            session,
            fee_minor=m.fee_minor,
            currency=m.currency,
            note=m.note,
            actor=actor,
            request_id=request_id,
        )
    elif m.kind is K.CANCEL_RESPONSE:
        await borrowing.partner_cancel_answer(
            session, accepted=bool(m.answer), note=m.note, actor=actor, request_id=request_id
        )
    elif m.kind is K.RENEW_RESPONSE:
        await borrowing_loans.partner_renewal_answer(
            session,
            approved=bool(m.answer),
            due_at=m.due_at,
            note=m.note,
            actor=actor,
            request_id=request_id,
        )
    else:
        await notes.partner_message(
            session,
            side=Side.BORROWING,
            note=m.note,
            kind="NOTIFICATION",
            actor=actor,
            request_id=request_id,
        )
