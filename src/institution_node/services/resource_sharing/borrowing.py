"""Borrowing requests (requester side, DOMAIN §8): creating one, sending it along its
rota, the partner's answers before shipping, cancelling.

Creating a request makes a suppressed temporary bib, a holding and an item at the
resource sharing library (``IN_TRANSIT`` to it: it is on its way from a partner) and an
item-level hold on that item for the patron, picked up at the pickup library. From then on
the node's own machinery carries it: receiving puts it on the hold shelf (On Hold Shelf
letter), a desk loans it to the patron, a desk return ends that loan.

Shipping and after (receive, renewals, returns, lost) are in ``borrowing_loans.py``.
Same conventions as the lending side: an ``Actor``, the row locked, **no commit**.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date
from uuid import uuid4

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from network_common.errors import Conflict, ErrorCode, InvalidInput, NotFound
from network_common.vocabulary import ItemStatus, RequestStatus

from ...domain import borrowing as table
from ...domain.borrowing import BorrowingEvent, BorrowingStatus
from ...domain.letters import Letter
from ...domain.requests import RequestEvent
from ...domain.vocabulary import UserKind
from ...store.models import (
    BibRecord,
    BorrowingRequest,
    History,
    Holding,
    Item,
    Library,
    Partner,
    Request,
    User,
)
from ..requests import lifecycle
from ..requests.placement import Pickup, local_pickup, place_request
from . import common, rotas
from .borrowing_steps import (
    bibliographic,
    for_change,
    move,
    parse_requester_request_id,
    patron_letter,
    remove_temporary_records,
    tell_partner,
)
from .messages import Bibliographic, MessageKind

E, S = BorrowingEvent, BorrowingStatus
TEMP_LOCATION = "RESOURCE_SHARING"
FORMATS = tuple(f.value for f in table.BorrowingFormat)


@dataclass(frozen=True, slots=True)
class BorrowingAsk:
    """A new borrowing request: what (a network record or a blank form), for whom, where
    to pick it up, and whom to ask (partners in order, a rota, or the default rota)."""

    patron_primary_id: str
    pickup_library_code: str
    bibliographic: Bibliographic
    needed_by: date | None = None
    note: str | None = None
    library_code: str | None = None  # the resource sharing library (default: pickup)
    partner_codes: Sequence[str] = field(default_factory=tuple)
    rota_code: str | None = None


def _text(value: str | None, field: str, limit: int) -> str | None:
    return common.clean_text(value, field=field, limit=limit)


async def create_request(
    session: AsyncSession, *, actor: common.Actor, ask: BorrowingAsk, send: bool = False
) -> BorrowingRequest:
    """Create the request with its temporary records and hold (READY_TO_SEND), and send
    it to the first partner when ``send`` (automatic approval). No commit."""
    if actor.principal is not None:
        scope = common.staff_scope(actor.principal)
    bib = ask.bibliographic
    title, author = _text(bib.title, "title", 512), _text(bib.author, "author", 255)
    if not title and bib.record_id:
        # From a network record: what our catalogue knows of it, if anything.
        known = (
            await session.execute(
                select(BibRecord.title, BibRecord.author).where(
                    BibRecord.network_record_id == bib.record_id,
                    BibRecord.suppressed.is_(False),
                )
            )
        ).first()
        if known is not None:
            title, author = known.title, author or known.author
    if not title:
        raise InvalidInput("A borrowing request needs a title")
    if bib.format not in FORMATS:
        raise InvalidInput("format must be BOOK or ARTICLE")
    inst = await common.institution(session)
    patron = await session.scalar(
        select(User).where(
            User.primary_id == ask.patron_primary_id, User.kind == UserKind.PATRON.value
        )
    )
    if patron is None:
        raise NotFound("No such patron")
    pickup = await local_pickup(session, own_code=inst.code, library_code=ask.pickup_library_code)
    assert pickup.library_id is not None
    library_id = pickup.library_id
    if ask.library_code:
        found = await session.scalar(select(Library.id).where(Library.code == ask.library_code))
        if found is None:
            raise NotFound(f"No library {ask.library_code}")
        library_id = found
    if actor.principal is not None and not scope.covers(library_id):
        raise InvalidInput("The resource sharing library must be one of your libraries")
    rota = await rotas.rota_partner_ids(
        session, rota_code=ask.rota_code, partner_codes=list(ask.partner_codes)
    )
    moment = common.now()
    request = BorrowingRequest(
        status=S.READY_TO_SEND.value,
        format=bib.format,
        user_id=patron.id,
        library_id=library_id,
        pickup_library_id=pickup.library_id,
        title=title,
        author=author,
        isbn=_text(bib.isbn, "isbn", 32),
        issn=_text(bib.issn, "issn", 32),
        publication_date=_text(bib.publication_date, "year", 32),
        volume=_text(bib.volume, "volume", 64),
        issue=_text(bib.issue, "issue", 64),
        pages=_text(bib.pages, "pages", 64),
        article_title=_text(bib.article_title, "articleTitle", 512),
        article_author=_text(bib.article_author, "articleAuthor", 255),
        record_id=_text(bib.record_id, "recordId", 128),
        needed_by=ask.needed_by,
        patron_note=_text(ask.note, "note", common.NOTE_MAX),
        rota=rota,
        rota_position=-1,
        attempt=0,
        created_at=moment,
        updated_at=moment,
        version=1,
    )
    session.add(request)
    await session.flush()
    await _temporary_records(session, request, inst.code)
    common.history(
        session,
        category=common.HistoryCategory.STATUS,
        kind="CREATED",
        actor=actor,
        borrowing_id=request.id,
        to_status=S.READY_TO_SEND.value,
        note=request.patron_note,
    )
    if send:
        await _send(session, request, actor=actor)
    await session.flush()
    return request


async def _temporary_records(session: AsyncSession, request: BorrowingRequest, code: str) -> None:
    """The suppressed bib, holding and item, and the patron's hold on the item."""
    bib = BibRecord(
        network_record_id=f"rs-temp:{code}:{request.id}:{uuid4().hex[:8]}",
        title=request.title,
        author=request.author,
        suppressed=True,
    )
    session.add(bib)
    await session.flush()
    holding = Holding(bib_id=bib.id, library_id=request.library_id, location=TEMP_LOCATION)
    session.add(holding)
    await session.flush()
    barcode = f"RS-{code}-{request.id}"
    item = Item(
        barcode=barcode,
        bib_id=bib.id,
        holding_id=holding.id,
        library_id=request.library_id,
        location=TEMP_LOCATION,
        loanable=True,
        requestable=True,
        renewals_allowed=0,  # renewals go through the partner
        status=ItemStatus.IN_TRANSIT.value,  # on its way from a partner
        transit_to_library_id=request.library_id,
        version=1,
    )
    session.add(item)
    await session.flush()
    pickup = await session.get_one(Library, request.pickup_library_id)
    hold = await place_request(
        session,
        patron_id=request.user_id,
        record_id=None,
        barcode=barcode,
        pickup=Pickup(
            institution=code,
            library_id=pickup.id,
            library_code=pickup.code,
            library_name=pickup.name,
        ),
        note=f"Resource sharing: borrowing request {request.id}",
        commit=False,
    )
    request.temp_bib_id, request.temp_holding_id, request.temp_item_id = bib.id, holding.id, item.id
    request.hold_request_id = hold.id
    request.item_barcode = barcode


async def _send(session: AsyncSession, request: BorrowingRequest, *, actor: common.Actor) -> None:
    """Ask the first partner of the rota (SEND)."""
    if not request.rota:
        raise InvalidInput("The request has no partner to ask: give partners or a rota")
    move(session, request, E.SEND, actor=actor)
    request.rota_position = 0
    request.partner_id = request.rota[0]
    request.attempt += 1
    request.partner_request_id = None
    await _ask_current(session, request, actor=actor)


async def _ask_current(
    session: AsyncSession, request: BorrowingRequest, *, actor: common.Actor
) -> None:
    patron = await session.get_one(User, request.user_id)
    pickup = await session.get_one(Library, request.pickup_library_id)
    await tell_partner(
        session,
        request,
        MessageKind.REQUEST,
        actor=actor,
        note=request.patron_note,
        bibliographic=bibliographic(request),
        patron_id=patron.primary_id,
        patron_surname=patron.last_name or None,
        patron_given_name=patron.first_name or None,
        pickup_location=pickup.name,
        needed_by=request.needed_by,
    )


async def send_request(
    session: AsyncSession,
    *,
    actor: common.Actor,
    request_id: int,
    partner_codes: Sequence[str] = (),
    rota_code: str | None = None,
) -> BorrowingRequest:
    """Send a request that is ready to the first partner of its rota (given now as
    partners or a rota, else the one it has). No commit."""
    request = await for_change(session, actor=actor, request_id=request_id)
    table.next_status(BorrowingStatus(request.status), E.SEND)
    if partner_codes or rota_code:
        request.rota = await rotas.rota_partner_ids(
            session, rota_code=rota_code, partner_codes=list(partner_codes)
        )
    await _send(session, request, actor=actor)
    await session.flush()
    return request


async def advance_rota(
    session: AsyncSession, request: BorrowingRequest, *, actor: common.Actor, note: str | None
) -> BorrowingStatus:
    """The current partner will not supply: ask the next one, or end the rota (the patron
    is told). No commit."""
    asked = frozenset(request.rota[: request.rota_position + 1])
    following = table.next_partner(request.rota, request.rota_position, tried=asked)
    if following is not None:
        status = move(session, request, E.ADVANCE_ROTA, actor=actor, note=note)
        request.rota_position = following
        request.partner_id = request.rota[following]
        request.attempt += 1
        request.partner_request_id = None
        request.condition_code = request.condition_note = None
        await _ask_current(session, request, actor=actor)
        return status
    status = move(session, request, E.ROTA_EXHAUSTED, actor=actor, note=note)
    request.partner_id = None
    await patron_letter(
        session,
        request,
        Letter.BORROWING_REQUEST_NOT_FILLED,
        subject=f"We could not obtain: {request.title}",
        body=(
            f"None of the libraries we asked could lend {request.title}. Our staff will "
            "contact you if another library can be asked."
        ),
    )
    return status


async def partner_will_supply(
    session: AsyncSession,
    *,
    actor: common.Actor,
    request_id: int,
    partner_request_id: str | None = None,
    note: str | None = None,
) -> BorrowingRequest:
    """The partner will supply (or expects to). Said again, nothing changes. No commit."""
    request = await for_change(session, actor=actor, request_id=request_id)
    _remember_partner_id(request, partner_request_id)
    status = BorrowingStatus(request.status)
    if status in (S.REQUEST_SENT, S.CONDITIONAL):
        move(session, request, E.PARTNER_WILL_SUPPLY, actor=actor, note=note)
    await session.flush()
    return request


def _remember_partner_id(request: BorrowingRequest, partner_request_id: str | None) -> None:
    if partner_request_id and not request.partner_request_id:
        request.partner_request_id = partner_request_id[:128]


async def partner_conditional(
    session: AsyncSession,
    *,
    actor: common.Actor,
    request_id: int,
    condition: str,
    note: str | None = None,
    partner_request_id: str | None = None,
) -> BorrowingRequest:
    """The partner supplies only on conditions: staff accept or decline. No commit."""
    request = await for_change(session, actor=actor, request_id=request_id)
    _remember_partner_id(request, partner_request_id)
    if request.status == S.CONDITIONAL.value:
        return request
    move(session, request, E.PARTNER_CONDITIONAL, actor=actor, note=note)
    request.condition_code = (condition or "CONDITIONAL")[:64]
    request.condition_note = note
    request.active_notes = (request.active_notes or 0) + 1
    common.history(
        session,
        category=common.HistoryCategory.MESSAGE_IN,
        kind="CONDITIONS",
        actor=actor,
        borrowing_id=request.id,
        note=f"{request.condition_code}: {note}" if note else request.condition_code,
        active=True,
    )
    await session.flush()
    return request


async def accept_conditions(
    session: AsyncSession, *, actor: common.Actor, request_id: int, note: str | None = None
) -> BorrowingRequest:
    """Accept the partner's conditions; it goes on supplying. No commit."""
    request = await for_change(session, actor=actor, request_id=request_id)
    note = common.clean_text(note, field="note")
    move(session, request, E.ACCEPT_CONDITIONS, actor=actor, note=note)
    await tell_partner(session, request, MessageKind.ACCEPT_CONDITIONS, actor=actor, note=note)
    await session.flush()
    return request


async def move_to_next_partner(
    session: AsyncSession,
    *,
    actor: common.Actor,
    request_id: int,
    note: str | None = None,
    decline_conditions: bool = False,
) -> BorrowingRequest:
    """Give up on the current partner (staff "Reject", or declining its conditions): it is
    told to cancel, and the next partner of the rota is asked. No commit."""
    request = await for_change(session, actor=actor, request_id=request_id)
    status = BorrowingStatus(request.status)
    if decline_conditions and status is not S.CONDITIONAL:
        raise Conflict("There are no conditions to decline", code=ErrorCode.ILLEGAL_TRANSITION)
    table.next_status(status, E.ADVANCE_ROTA)
    note = common.clean_text(note, field="note")
    reason = "Conditions declined" if decline_conditions else "Moved to the next partner"
    await tell_partner(session, request, MessageKind.CANCEL, actor=actor, note=note or reason)
    await advance_rota(session, request, actor=actor, note=note or reason)
    await session.flush()
    return request


async def partner_unfilled(
    session: AsyncSession,
    *,
    actor: common.Actor,
    request_id: int,
    reason: str | None = None,
    note: str | None = None,
) -> BorrowingRequest:
    """The partner cannot supply: the rota moves on (a request being cancelled is simply
    cancelled). Said again, nothing changes. No commit."""
    request = await for_change(session, actor=actor, request_id=request_id)
    status = BorrowingStatus(request.status)
    text = "; ".join(t for t in (reason, note) if t) or None
    if status is S.CANCEL_REQUESTED:
        await _close_cancelled(session, request, actor=actor, reason=text or "Cancelled")
    elif status in table.ASKING:
        await advance_rota(session, request, actor=actor, note=text)
    await session.flush()
    return request


async def resend(
    session: AsyncSession,
    *,
    actor: common.Actor,
    request_id: int,
    partner_codes: Sequence[str] = (),
    rota_code: str | None = None,
    send: bool = True,
) -> BorrowingRequest:
    """After the end of the rota: a new rota (partners or a rota), sent at once unless
    ``send`` is false. No commit."""
    request = await for_change(session, actor=actor, request_id=request_id)
    rota = await rotas.rota_partner_ids(
        session, rota_code=rota_code, partner_codes=list(partner_codes)
    )
    if not rota:
        raise InvalidInput("Give the partners (or rota) to ask now")
    move(session, request, E.RESEND, actor=actor)
    request.rota, request.rota_position = rota, -1
    if send:
        await _send(session, request, actor=actor)
    await session.flush()
    return request


async def cancel(
    session: AsyncSession, *, actor: common.Actor, request_id: int, reason: str
) -> BorrowingRequest:
    """Cancel: at once when no partner holds the request; otherwise the partner is asked
    (CANCEL_REQUESTED) and its answer closes it. Refused once shipped. No commit."""
    request = await for_change(session, actor=actor, request_id=request_id)
    text = common.clean_text(reason, field="reason")
    if not text:
        raise InvalidInput("A cancellation reason is required")
    status = BorrowingStatus(request.status)
    if status not in table.ASKING and (status, E.CANCEL) not in table.TRANSITIONS:
        shipped = status not in table.CLOSED
        raise Conflict(
            "The partner has shipped the item: the request can no longer be cancelled"
            if shipped
            else "The request is closed",
            code=ErrorCode.ILLEGAL_TRANSITION,
        )
    request.cancel_reason = text
    if status in table.ASKING:
        move(session, request, E.CANCEL, actor=actor, note=text)
        await tell_partner(session, request, MessageKind.CANCEL, actor=actor, note=text)
    else:
        await _close_cancelled(session, request, actor=actor, reason=text, event=E.CANCEL)
    await session.flush()
    return request


async def partner_cancel_answer(
    session: AsyncSession,
    *,
    actor: common.Actor,
    request_id: int,
    accepted: bool,
    note: str | None = None,
) -> BorrowingRequest:
    """The partner's answer to our cancellation. Said again, nothing changes. No commit."""
    request = await for_change(session, actor=actor, request_id=request_id)
    if request.status != S.CANCEL_REQUESTED.value:
        return request
    if accepted:
        await _close_cancelled(
            session, request, actor=actor, reason=request.cancel_reason or "Cancelled"
        )
    else:
        move(session, request, E.PARTNER_CANCEL_REFUSED, actor=actor, note=note)
    await session.flush()
    return request


async def earlier_partner_cancel_answer(
    session: AsyncSession,
    *,
    partner: Partner,
    request_id: int,
    accepted: bool,
    note: str | None = None,
) -> bool:
    """A partner we moved on from (declined conditions, staff's "next partner") answers
    the Cancel we sent it: kept on the request as a message, nothing changes. False when
    we never sent this partner a Cancel for the request (the caller refuses it). No
    commit."""
    asked = await session.scalar(
        select(History.id)
        .where(
            History.borrowing_request_id == request_id,
            History.category == common.HistoryCategory.MESSAGE_OUT.value,
            History.kind == MessageKind.CANCEL.value,
            History.partner_id == partner.id,
        )
        .limit(1)
    )
    if asked is None:
        return False
    common.history(
        session,
        category=common.HistoryCategory.MESSAGE_IN,
        kind="CANCEL_RESPONSE",
        actor=common.Actor(partner=partner),
        borrowing_id=request_id,
        partner_id=partner.id,
        note=note or ("Cancelled" if accepted else "Cancellation refused"),
    )
    await session.flush()
    return True


async def _close_cancelled(
    session: AsyncSession,
    request: BorrowingRequest,
    *,
    actor: common.Actor,
    reason: str,
    event: BorrowingEvent = E.PARTNER_CANCEL_ACCEPTED,
) -> None:
    """CANCELLED: the hold is cancelled (Cancel Request letter to the patron) and the
    temporary records go."""
    move(session, request, event, actor=actor, note=reason)
    if request.hold_request_id is not None:
        hold = await session.get(Request, request.hold_request_id)
        if hold is not None and RequestStatus(hold.status) not in (
            RequestStatus.COMPLETED,
            RequestStatus.CANCELLED,
        ):
            await lifecycle.close_request(
                session,
                request_id=hold.id,
                event=RequestEvent.CANCEL,
                reason=reason,
                by="STAFF",
            )
    await remove_temporary_records(session, request)


async def query_patron(
    session: AsyncSession, *, actor: common.Actor, request_id: int, subject: str, body: str
) -> BorrowingRequest:
    """Send the patron the Query To Patron letter (more details needed). No commit."""
    request = await for_change(session, actor=actor, request_id=request_id)
    if BorrowingStatus(request.status) in table.CLOSED:
        raise Conflict("The request is closed", code=ErrorCode.ILLEGAL_TRANSITION)
    subject_text = common.clean_text(subject, field="subject", limit=255)
    body_text = common.clean_text(body, field="body", limit=10_000)
    if not subject_text or not body_text:
        raise InvalidInput("A query needs a subject and a text")
    await patron_letter(
        session, request, Letter.QUERY_TO_PATRON, subject=subject_text, body=body_text
    )
    common.history(
        session,
        category=common.HistoryCategory.NOTE,
        kind="QUERY_TO_PATRON",
        actor=actor,
        borrowing_id=request.id,
        note=subject_text,
    )
    await session.flush()
    return request


async def request_for_wire_id(
    session: AsyncSession, *, wire_id: str, own_code: str
) -> tuple[BorrowingRequest | None, bool]:
    """The borrowing request a partner's message names by our wire id, and whether it
    names the current attempt (an older attempt's partner changes nothing)."""
    parsed = parse_requester_request_id(wire_id, own_code)
    if parsed is None:
        return None, False
    request_id, attempt = parsed
    row = await session.get(BorrowingRequest, request_id)
    if row is None:
        return None, False
    return row, row.attempt == attempt
