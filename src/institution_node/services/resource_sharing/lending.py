"""Lending requests (supplier side, DOMAIN §8), from a partner's ask to the shipment.

The steps after shipping (renewals, return, check in, lost) are in ``lending_loans.py``;
notes, messages, assignment and alerts in ``annotations.py``. The state table is
``domain/lending.py``. Protocol modules (ISO 18626, NCIP) parse their messages and call
these same functions:

- :func:`receive_request` — a partner asks (idempotent on the partner's request id);
- :func:`will_supply` — locate an item; a *move request* (an item-level hold for the
  partner's patron record, picked up at the shipping library) puts it on the owning
  library's pick-from-shelf list and brings it to the shipping desk;
- :func:`add_conditions`, :func:`conditions_answered`, :func:`expire_conditions`;
- :func:`unfill` (an unfilled answer with a reason), :func:`partner_cancel` (accepted
  before shipping, answered "no" after);
- ``lending_loans.ship`` — loan the item to the partner's institution, with a due date.

Every function takes the ``Actor`` taking the step (staff, a partner's message, or the
node), locks the request row, writes state, history and outgoing messages through the
session and flushes; **the caller commits**, so a protocol handler keeps its own
bookkeeping (deduplication) in the same transaction.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from network_common.errors import Conflict, ErrorCode, InvalidInput, NotFound
from network_common.vocabulary import RequestStatus

from ...domain import lending as table
from ...domain.lending import LendingEvent, LendingStatus
from ...domain.requests import RequestEvent, RequestKind, RequestLevel
from ...store.models import BibRecord, Item, LendingRequest, Library, Partner, Request
from ..requests import common as requests_common
from ..requests import lifecycle
from ..requests.placement import candidates, free_on_shelf
from . import common, partners
from .lending_steps import add_alert, for_change, move, tell_partner
from .messages import Bibliographic, MessageKind

E, S = LendingEvent, LendingStatus
MOVE_IN_PROCESS = "MOVE_REQUEST_IN_PROCESS"
MOVE_CANCELLED = "MOVE_REQUEST_CANCELLED"
MOVE_COMPLETED = "MOVE_REQUEST_COMPLETED"


@dataclass(frozen=True, slots=True)
class PartnerAsk:
    """A partner's request, as a protocol module read it."""

    partner_request_id: str
    bibliographic: Bibliographic
    service_type: str = "LOAN"
    needed_by: date | None = None
    patron_reference: str | None = None
    patron_name: str | None = None
    pickup_location: str | None = None
    note: str | None = None


def _fit(value: str | None, limit: int) -> str | None:
    """Text from a partner, cut to the column (partners send what they send)."""
    if value is None:
        return None
    text = value.strip()
    return text[:limit] or None


async def receive_request(
    session: AsyncSession, *, partner: Partner, ask: PartnerAsk
) -> tuple[LendingRequest, bool]:
    """Record a partner's request as NEW (matched to our record by its network record id);
    ``(request, created)``: the same partner request id again answers the existing one."""
    their_id = (ask.partner_request_id or "").strip()
    if not their_id or len(their_id) > 128:
        raise InvalidInput("The partner's request id must be 1 to 128 characters")
    existing = await session.scalar(
        select(LendingRequest).where(
            LendingRequest.partner_id == partner.id,
            LendingRequest.partner_request_id == their_id,
        )
    )
    if existing is not None:
        return existing, False
    bib = ask.bibliographic
    bib_id = None
    if bib.record_id:
        bib_id = await session.scalar(
            select(BibRecord.id).where(
                BibRecord.network_record_id == bib.record_id, BibRecord.suppressed.is_(False)
            )
        )
    title = _fit(bib.title, 512)
    if title is None and bib_id is not None:
        title = await session.scalar(select(BibRecord.title).where(BibRecord.id == bib_id))
    moment = common.now()
    request = LendingRequest(
        status=S.NEW.value,
        partner_id=partner.id,
        partner_request_id=their_id,
        service_type=(ask.service_type or "LOAN").upper()[:16],
        title=title or "(no title given)",
        author=_fit(bib.author, 255),
        isbn=_fit(bib.isbn, 32),
        issn=_fit(bib.issn, 32),
        publication_date=_fit(bib.publication_date, 32),
        volume=_fit(bib.volume, 64),
        issue=_fit(bib.issue, 64),
        pages=_fit(bib.pages, 64),
        article_title=_fit(bib.article_title, 512),
        article_author=_fit(bib.article_author, 255),
        record_id=_fit(bib.record_id, 128),
        needed_by=ask.needed_by,
        patron_reference=_fit(ask.patron_reference, 128),
        patron_name=_fit(ask.patron_name, 255),
        pickup_location=_fit(ask.pickup_location, 255),
        partner_note=ask.note,
        bib_id=bib_id,
        library_id=partner.lending_library_id,
        created_at=moment,
        updated_at=moment,
        version=1,
    )
    session.add(request)
    await session.flush()
    actor = common.Actor(partner=partner)
    common.history(
        session,
        category=common.HistoryCategory.MESSAGE_IN,
        kind=MessageKind.REQUEST.value,
        actor=actor,
        lending_id=request.id,
        note=ask.note,
        partner_id=partner.id,
        to_status=S.NEW.value,
    )
    if ask.note:
        request.active_notes = 1
    await session.flush()
    return request, True


async def _choose_item(session: AsyncSession, request: LendingRequest, barcode: str | None) -> Item:
    """The copy to supply: the given barcode, else a free loanable copy of the record on
    the shelf (the working library's own first). Locked."""
    if barcode:
        item = await session.scalar(select(Item).where(Item.barcode == barcode).with_for_update())
        if item is None:
            raise NotFound(f"No item with barcode {barcode}")
        if request.bib_id is not None and item.bib_id != request.bib_id:
            raise InvalidInput("That item is a copy of another record")
        copies = [item] if item.loanable else []
    else:
        if request.bib_id is None:
            raise InvalidInput(
                "The request matches no record here: give the barcode of the item to supply"
            )
        copies = await candidates(session, bib_id=request.bib_id, item=None)
    free = await free_on_shelf(session, copies)
    if not free:
        raise Conflict("No copy is free on the shelf", code=ErrorCode.ITEM_NOT_AVAILABLE)
    free.sort(key=lambda i: (i.library_id != request.library_id, i.id))
    chosen = await requests_common.lock_item(session, free[0].id)
    return chosen


async def _shipping_library(session: AsyncSession, request: LendingRequest, item: Item) -> int:
    if request.library_id is not None:
        return request.library_id
    return item.library_id


async def will_supply(
    session: AsyncSession,
    *,
    actor: common.Actor,
    request_id: int,
    barcode: str | None = None,
    note: str | None = None,
) -> LendingRequest:
    """Tell the partner we will supply: choose the copy and put it on its way to the
    shipping library's desk (the move request). No commit."""
    request = await for_change(session, actor=actor, request_id=request_id)
    note = common.clean_text(note, field="note")
    status = LendingStatus(request.status)
    table.next_status(status, E.WILL_SUPPLY)  # refuse before choosing anything
    await place_move_request(session, request, barcode=barcode)
    move(session, request, E.WILL_SUPPLY, actor=actor, note=note)
    await tell_partner(session, request, MessageKind.WILL_SUPPLY, actor=actor, note=note)
    await session.flush()
    return request


async def place_move_request(
    session: AsyncSession, request: LendingRequest, *, barcode: str | None
) -> Request:
    """An item-level hold for the partner's patron record, picked up at the shipping
    library: the copy goes on its owner's pick-from-shelf list at once."""
    item = await _choose_item(session, request, barcode)
    partner = await session.get_one(Partner, request.partner_id)
    patron_id = await partners.partner_user(session, partner)
    shipping = await _shipping_library(session, request, item)
    library = await session.get_one(Library, shipping)
    inst = await common.institution(session)
    moment = common.now()
    hold = Request(
        kind=RequestKind.PATRON.value,
        level=RequestLevel.ITEM.value,
        user_id=patron_id,
        bib_id=item.bib_id,
        item_id=item.id,
        item_library_id=item.library_id,
        pickup_institution=inst.code,
        pickup_library_id=library.id,
        pickup_library_code=library.code,
        pickup_library_name=library.name,
        managing_library_id=item.library_id,
        status=RequestStatus.PLACED.value,
        note=f"Resource sharing: lending request {request.id} for {partner.code}",
        placed_at=moment,
        updated_at=moment,
        version=1,
    )
    session.add(hold)
    await session.flush()
    requests_common.apply(hold, RequestEvent.ASSIGN_ITEM, now=moment)
    request.bib_id = item.bib_id
    request.item_id = item.id
    request.item_library_id = item.library_id
    request.library_id = shipping
    request.move_request_id = hold.id
    add_alert(session, request, MOVE_IN_PROCESS, note=f"Item {item.barcode} to {library.name}")
    await session.flush()
    return hold


async def release_move_request(session: AsyncSession, request: LendingRequest) -> None:
    """Cancel the move request of a request that will not ship (its copy goes back)."""
    if request.move_request_id is None:
        return
    hold = await session.get(Request, request.move_request_id)
    if hold is not None and RequestStatus(hold.status) not in (
        RequestStatus.COMPLETED,
        RequestStatus.CANCELLED,
    ):
        await lifecycle.close_request(
            session,
            request_id=hold.id,
            event=RequestEvent.CANCEL,
            reason="Resource sharing request closed",
            by="PATRON",  # the partner's own request: no Cancel Request letter to it
        )
        add_alert(session, request, MOVE_CANCELLED)
    request.move_request_id = None
    request.item_id = None
    request.item_library_id = None


async def add_conditions(
    session: AsyncSession,
    *,
    actor: common.Actor,
    request_id: int,
    code: str,
    note: str | None,
    reply_by: datetime,
) -> LendingRequest:
    """Supply only on conditions (reason, reply-by date, note): the borrower accepts or
    declines; without an answer by ``reply_by`` the request is unfilled. No commit."""
    request = await for_change(session, actor=actor, request_id=request_id)
    code = (common.clean_text(code, field="condition", limit=64) or "").upper()
    if not code:
        raise InvalidInput("Give the condition (e.g. LIBRARY_USE_ONLY)")
    if reply_by.tzinfo is None or reply_by <= common.now():
        raise InvalidInput("replyBy must be a future date and time with a timezone")
    note = common.clean_text(note, field="note")
    move(session, request, E.ADD_CONDITIONS, actor=actor, note=note)
    request.condition_code, request.condition_note, request.reply_by = code, note, reply_by
    await tell_partner(
        session,
        request,
        MessageKind.CONDITIONAL,
        actor=actor,
        note=note,
        reason=code,
        reply_by=reply_by,
    )
    await session.flush()
    return request


async def conditions_answered(
    session: AsyncSession,
    *,
    actor: common.Actor,
    request_id: int,
    accepted: bool,
    note: str | None = None,
) -> LendingRequest:
    """The borrower's answer to our conditions: accepted, we go on supplying; declined,
    the request is cancelled (nothing more is sent: declining was their message)."""
    request = await for_change(session, actor=actor, request_id=request_id)
    if accepted:
        move(session, request, E.PARTNER_ACCEPTED_CONDITIONS, actor=actor, note=note)
        if request.move_request_id is None:
            try:
                await place_move_request(session, request, barcode=None)
            except (Conflict, InvalidInput) as exc:
                add_alert(session, request, "LOCATE_ITEM", note=exc.message)
    else:
        move(session, request, E.PARTNER_CANCEL, actor=actor, note=note)
        await release_move_request(session, request)
    request.reply_by = None
    await session.flush()
    return request


async def expire_conditions(session: AsyncSession, *, now: datetime | None = None) -> list[int]:
    """Unfill every conditional request whose reply-by passed without an answer, telling
    the borrower; one transaction per request (commits each)."""
    moment = now or common.now()
    due = list(
        await session.scalars(
            select(LendingRequest.id)
            .where(
                LendingRequest.status == S.CONDITIONAL.value,
                LendingRequest.reply_by < moment,
            )
            .order_by(LendingRequest.id)
        )
    )
    await session.commit()
    expired: list[int] = []
    for request_id in due:
        try:
            request = await common.lock_lending(session, request_id)
            if request.status != S.CONDITIONAL.value:
                await session.rollback()
                continue
            reason = "Conditions not accepted in time"
            move(session, request, E.CONDITIONS_EXPIRED, actor=common.SYSTEM, note=reason)
            request.unfill_reason = reason
            await release_move_request(session, request)
            add_alert(session, request, "CONDITIONS_EXPIRED", note=reason)
            await tell_partner(
                session, request, MessageKind.UNFILLED, actor=common.SYSTEM, reason=reason
            )
            await session.commit()
            expired.append(request_id)
        except Conflict:
            await session.rollback()
    return expired


async def unfill(
    session: AsyncSession,
    *,
    actor: common.Actor,
    request_id: int,
    reason: str,
    note: str | None = None,
) -> LendingRequest:
    """Reject the request: an unfilled answer with ``reason`` goes to the borrower (whose
    rota moves on). No commit."""
    request = await for_change(session, actor=actor, request_id=request_id)
    reason_text = common.clean_text(reason, field="reason", limit=255)
    if not reason_text:
        raise InvalidInput("An unfilled answer needs a reason")
    note = common.clean_text(note, field="note")
    move(session, request, E.UNFILL, actor=actor, note=note)
    request.unfill_reason = reason_text
    await release_move_request(session, request)
    await tell_partner(
        session, request, MessageKind.UNFILLED, actor=actor, note=note, reason=reason_text
    )
    await session.flush()
    return request


async def partner_cancel(
    session: AsyncSession, *, actor: common.Actor, request_id: int, note: str | None = None
) -> tuple[LendingRequest, bool]:
    """The borrower cancels: accepted before shipping (the request closes), refused after
    (it goes on). Either way the borrower gets a cancel response. ``(request, accepted)``."""
    request = await for_change(session, actor=actor, request_id=request_id)
    status = LendingStatus(request.status)
    accepted = status in table.BEFORE_SHIPPING
    if accepted:
        move(session, request, E.PARTNER_CANCEL, actor=actor, note=note)
        await release_move_request(session, request)
    elif status is S.CANCELLED:
        accepted = True  # said before: the same answer again
    else:
        common.history(
            session,
            category=common.HistoryCategory.NOTE,
            kind="CANCEL_REFUSED",
            actor=actor,
            lending_id=request.id,
            note="The partner asked to cancel after shipping",
        )
    await tell_partner(
        session,
        request,
        MessageKind.CANCEL_RESPONSE,
        actor=common.SYSTEM,
        answer=accepted,
    )
    await session.flush()
    return request, accepted
