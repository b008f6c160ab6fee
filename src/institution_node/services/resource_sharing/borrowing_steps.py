"""What every borrowing step shares: finding the request for an actor, moving it through
the table, telling the current partner, the rota, and removing the temporary records."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import delete, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from network_common.errors import InvalidInput, NotFound

from ...domain import borrowing as table
from ...domain.borrowing import BorrowingEvent, BorrowingStatus
from ...domain.letters import Letter
from ...store.models import (
    BibRecord,
    BorrowingRequest,
    Fee,
    Holding,
    Item,
    Loan,
    Partner,
    Request,
)
from ..requests.letters import send_request_letter
from . import common, outgoing
from .messages import Bibliographic, MessageKind, PartnerMessage
from .visibility import visible_borrowing


def requester_request_id(own_code: str, request: BorrowingRequest) -> str:
    """Our id for the request on the wire: one per partner asked (``attempt``), so a
    partner asked again later sees a new request."""
    return f"{own_code}-{request.id}-{request.attempt}"


def parse_requester_request_id(value: str, own_code: str) -> tuple[int, int] | None:
    """(request id, attempt) of one of our wire ids, or ``None``."""
    prefix = f"{own_code}-"
    if not value.startswith(prefix):
        return None
    parts = value[len(prefix) :].split("-")
    if len(parts) != 2 or not all(p.isdigit() and len(p) < 10 for p in parts):
        return None
    return int(parts[0]), int(parts[1])


async def for_change(
    session: AsyncSession, *, actor: common.Actor, request_id: int
) -> BorrowingRequest:
    """The borrowing request, locked, if ``actor`` may act on it: staff who may see it,
    the partner asked now, or the node itself. Others get NOT_FOUND like a missing id."""
    if actor.principal is not None:
        scope = common.staff_scope(actor.principal)
        model = await common.model(session)
        visible = await session.scalar(
            select(BorrowingRequest.id).where(
                BorrowingRequest.id == request_id, visible_borrowing(model, scope)
            )
        )
        if visible is None:
            raise NotFound("No such borrowing request")
    request = await common.lock_borrowing(session, request_id)
    if actor.partner is not None and request.partner_id != actor.partner.id:
        raise NotFound("No such borrowing request")
    return request


def move(
    session: AsyncSession,
    request: BorrowingRequest,
    event: BorrowingEvent,
    *,
    actor: common.Actor,
    note: str | None = None,
) -> BorrowingStatus:
    """Apply ``event`` (or ILLEGAL_TRANSITION, changing nothing) and note it in history."""
    before = BorrowingStatus(request.status)
    after = table.next_status(before, event)
    moment = common.now()
    request.status = after.value
    request.updated_at = moment
    request.version = (request.version or 1) + 1
    if after in table.CLOSED:
        request.closed_at = moment
    common.history(
        session,
        category=common.HistoryCategory.STATUS,
        kind=event.value,
        actor=actor,
        borrowing_id=request.id,
        from_status=before.value,
        to_status=after.value,
        partner_id=request.partner_id,
        note=note,
    )
    return after


def bibliographic(request: BorrowingRequest) -> Bibliographic:
    return Bibliographic(
        title=request.title,
        author=request.author,
        isbn=request.isbn,
        issn=request.issn,
        publication_date=request.publication_date,
        volume=request.volume,
        issue=request.issue,
        pages=request.pages,
        article_title=request.article_title,
        article_author=request.article_author,
        record_id=request.record_id,
        format=request.format,
    )


async def tell_partner(
    session: AsyncSession,
    request: BorrowingRequest,
    kind: MessageKind,
    *,
    actor: common.Actor,
    note: str | None = None,
    partner_id: int | None = None,
    sent_at: datetime | None = None,
    **fields: Any,
) -> None:
    """Queue a message about ``request`` to its current partner (or ``partner_id``)."""
    target = partner_id if partner_id is not None else request.partner_id
    if target is None:
        raise InvalidInput("No partner holds this request now")
    partner = await session.get_one(Partner, target)
    inst = await common.institution(session)
    message = PartnerMessage(
        kind=kind,
        partner_id=partner.id,
        requester=outgoing.own_agency(partner, inst.code),
        supplier=outgoing.partner_agency(partner),
        requester_request_id=requester_request_id(inst.code, request),
        supplier_request_id=request.partner_request_id,
        sent_at=sent_at or common.now(),
        note=note,
        **fields,
    )
    await outgoing.send_to_partner(
        session, partner=partner, message=message, actor=actor, borrowing_id=request.id
    )


async def patron_letter(
    session: AsyncSession, request: BorrowingRequest, letter: Letter, *, subject: str, body: str
) -> None:
    """A letter to the patron, owned as DOMAIN §7 says for ``letter`` (the resource sharing
    library owns the temporary item; the pickup library is where the patron collects)."""
    await send_request_letter(
        session,
        user_id=request.user_id,
        letter=letter,
        item_owner=request.library_id,
        pickup_library=request.pickup_library_id,
        subject=subject,
        body=body,
    )


async def remove_temporary_records(session: AsyncSession, request: BorrowingRequest) -> None:
    """Remove the temporary bib, holding and item and what hangs on them (the hold and
    transit requests, the patron's loan rows; fees keep their amounts but lose the loan
    link). The request keeps the barcode and the dates."""
    item_id, bib_id, holding_id = request.temp_item_id, request.temp_bib_id, request.temp_holding_id
    request.temp_item_id = request.temp_bib_id = request.temp_holding_id = None
    request.hold_request_id = None
    await session.flush()
    if item_id is not None:
        loans = select(Loan.id).where(Loan.item_id == item_id)
        await session.execute(
            update(Fee)
            .where(Fee.loan_id.in_(loans))
            .values(loan_id=None)
            .execution_options(synchronize_session=False)
        )
        await session.execute(
            delete(Loan).where(Loan.item_id == item_id).execution_options(synchronize_session=False)
        )
    if bib_id is not None:
        await session.execute(
            delete(Request)
            .where(Request.bib_id == bib_id)
            .execution_options(synchronize_session=False)
        )
    if item_id is not None:
        await session.execute(
            delete(Item).where(Item.id == item_id).execution_options(synchronize_session=False)
        )
    if holding_id is not None:
        await session.execute(
            delete(Holding)
            .where(Holding.id == holding_id)
            .execution_options(synchronize_session=False)
        )
    if bib_id is not None:
        await session.execute(
            delete(BibRecord)
            .where(BibRecord.id == bib_id)
            .execution_options(synchronize_session=False)
        )
    common.history(
        session,
        category=common.HistoryCategory.NOTE,
        kind="TEMPORARY_RECORDS_REMOVED",
        actor=common.SYSTEM,
        borrowing_id=request.id,
    )
