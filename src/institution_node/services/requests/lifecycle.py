"""Patron requests through their life (placing is in ``placement.py``): cancel,
take over a returned item, release a copy, complete, expire.

Every change goes through the transition table (``domain/requests.py``); the request row
is locked first, so two operators acting on one request at once cannot both win: the
second sees the first one's result and gets ILLEGAL_TRANSITION.

The pickup place may be another member (``pickup_institution`` != our code, no local
``pickup_library_id``; ``pickup_library_code``/``name`` describe it): the same functions
serve the local workflow and pickup anywhere.
"""

from __future__ import annotations

from datetime import UTC, datetime

from sqlalchemy import and_, or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from network_common.errors import Conflict, ErrorCode, Forbidden, Ineligible, InvalidInput, NotFound
from network_common.tokens import Principal
from network_common.vocabulary import ItemStatus, NextStep, PrincipalKind, RequestStatus

from ...domain.circulation import role_covers
from ...domain.letters import Letter
from ...domain.requests import EXPIRY_REASON, ITEM_MOVING, RequestEvent, RequestKind, RequestLevel
from ...store.models import BibRecord, Item, Loan, Request
from ..fulfilment.terms import terms_for_item
from . import common
from .common import NextStepInfo
from .letters import send_request_letter
from .placement import candidates, free_on_shelf, itemize, patron_roles
from .visibility import visible_requests

S, E = RequestStatus, RequestEvent


def _now() -> datetime:
    return datetime.now(UTC)


async def find_visible(session: AsyncSession, *, actor: Principal, request_id: int) -> Request:
    """A request the operator may see; a foreign id and a missing one answer alike."""
    facts = await common.setup(session)
    scope = common.request_scope(actor)
    row = await session.scalar(
        select(Request).where(Request.id == request_id, visible_requests(facts.model, scope))
    )
    if row is None:
        raise NotFound("No such request")
    return row


async def cancel_request(
    session: AsyncSession,
    *,
    actor: Principal,
    request_id: int,
    reason: str,
) -> Request:
    """Cancel a request at any step (staff: a visible request; patron: their own one); an
    item already moving goes home; commits."""
    if not reason.strip():
        raise InvalidInput("A cancellation reason is required")
    if actor.kind == PrincipalKind.PATRON:
        owned = await session.scalar(
            select(Request.id).where(Request.id == request_id, Request.user_id == actor.user_id)
        )
        if owned is None:
            raise NotFound("No such request")
        by = "PATRON"
    elif actor.kind == PrincipalKind.STAFF and actor.has_any_role(common.REQUEST_WORK_ROLES):
        await find_visible(session, actor=actor, request_id=request_id)
        by = "STAFF"
    else:
        raise Forbidden("Your roles do not allow cancelling requests")
    request = await close_request(
        session, request_id=request_id, event=E.CANCEL, reason=reason.strip(), by=by
    )
    await session.commit()
    return request


async def close_request(
    session: AsyncSession,
    *,
    request_id: int,
    event: RequestEvent,
    reason: str,
    by: str,
) -> Request:
    """Cancel or expire (no commit): send a moving item home, free a chosen copy for the
    queue, and tell the patron unless they cancelled themselves."""
    request = await common.lock_request(session, request_id)
    before = RequestStatus(request.status)
    moving_from = request.managing_library_id
    now = _now()
    common.apply(request, event, now=now)
    request.cancel_reason = reason
    request.cancelled_by = by
    if request.item_id is not None and request.kind == RequestKind.PATRON.value:
        item = await common.lock_item(session, request.item_id)
        if before in ITEM_MOVING:
            at_home = before is S.ON_HOLD_SHELF and request.pickup_library_id == item.library_id
            if at_home:
                item.status = ItemStatus.ON_SHELF.value
                await assign_waiting(session, item=item, now=now)
            else:
                await send_home(session, item=item, leaving_from=moving_from, now=now)
        elif before is S.PICK_FROM_SHELF:
            await session.flush()
            await assign_waiting(session, item=item, now=now)
    if by != "PATRON" and request.user_id is not None:
        title = await session.scalar(select(BibRecord.title).where(BibRecord.id == request.bib_id))
        await send_request_letter(
            session,
            user_id=request.user_id,
            letter=Letter.CANCEL_REQUEST,
            item_owner=request.item_library_id,
            pickup_library=request.pickup_library_id,
            subject=f"Your request was cancelled: {title}",
            body=f"Your request for {title} was cancelled. Reason: {reason}.",
        )
    await session.flush()
    return request


async def send_home(
    session: AsyncSession, *, item: Item, leaving_from: int | None, now: datetime
) -> Request:
    """Put ``item`` in transit to its owning library under a non-patron transit request."""
    facts = await common.setup(session)
    item.status = ItemStatus.IN_TRANSIT.value
    item.transit_to_library_id = item.library_id
    item.transit_to_institution = None
    transit = Request(
        kind=RequestKind.TRANSIT.value,
        level=RequestLevel.ITEM.value,
        bib_id=item.bib_id,
        item_id=item.id,
        item_library_id=item.library_id,
        pickup_institution=facts.code,
        pickup_library_id=item.library_id,
        managing_library_id=leaving_from,
        status=S.IN_TRANSIT.value,
        placed_at=now,
        updated_at=now,
        version=1,
    )
    session.add(transit)
    await session.flush()
    return transit


async def next_waiting(session: AsyncSession, *, item: Item) -> Request | None:
    """The oldest waiting request this copy may serve (item level for it, or title level for
    its record by a patron whose roles cover the owning library), locked."""
    if not (item.requestable and item.loanable):
        return None
    rows = await session.scalars(
        select(Request)
        .where(
            Request.kind == RequestKind.PATRON.value,
            Request.status == S.PLACED.value,
            or_(
                Request.item_id == item.id,
                and_(Request.item_id.is_(None), Request.bib_id == item.bib_id),
            ),
        )
        .order_by(Request.placed_at, Request.id)
        .limit(20)
        .with_for_update()
    )
    today = _now().date()
    for request in rows:
        assert request.user_id is not None
        if role_covers(await patron_roles(session, request.user_id), item.library_id, today):
            return request
    return None


async def assign_waiting(session: AsyncSession, *, item: Item, now: datetime) -> Request | None:
    """A copy back on its shelf goes to the next waiting request's pick-from-shelf list."""
    request = await next_waiting(session, item=item)
    if request is not None:
        itemize(request, item)
        common.apply(request, E.ASSIGN_ITEM, now=now)
    return request


async def take_over_returned_item(
    session: AsyncSession, *, item: Item, at_library_id: int
) -> NextStepInfo | None:
    """The next request in the queue takes a returned item (no commit): straight to the hold
    shelf when returned at its pickup library, else in transit there. ``None``: no request
    waits, the caller reshelves or sends it home."""
    facts = await common.setup(session)
    request = await next_waiting(session, item=item)
    if request is None:
        return None
    now = _now()
    itemize(request, item)
    if common.is_local_pickup(request, facts.code) and request.pickup_library_id == at_library_id:
        common.apply(request, E.TAKE_OVER_AT_PICKUP, now=now)
        await shelve_and_notify(session, request=request, item=item, now=now)
        step = NextStep.HOLD_SHELF
    else:
        common.apply(request, E.TAKE_OVER_IN_TRANSIT, now=now, transit_from=at_library_id)
        common.send_towards_pickup(request, item, facts.code)
        step = NextStep.TRANSIT
    await session.flush()
    return await common.towards_pickup_info(session, request, step)


async def shelve_and_notify(
    session: AsyncSession, *, request: Request, item: Item, now: datetime
) -> None:
    """Item on the hold shelf for ``request``: set the expiry, send On Hold Shelf."""
    # The hold-shelf days of the patron's terms for this item (DOMAIN §2).
    terms = await terms_for_item(session, item=item, patron_id=request.user_id)
    common.put_on_hold_shelf(request, item, now=now, days=terms.hold_shelf_days)
    assert request.user_id is not None
    assert request.hold_shelf_expiry is not None
    title = await session.scalar(select(BibRecord.title).where(BibRecord.id == request.bib_id))
    place = request.pickup_library_name or request.pickup_library_code or "the pickup desk"
    await send_request_letter(
        session,
        user_id=request.user_id,
        letter=Letter.ON_HOLD_SHELF,
        item_owner=item.library_id,
        pickup_library=request.pickup_library_id,
        subject=f"Ready for pickup: {title}",
        body=(
            f"{title} (barcode {item.barcode}) waits for you at {place} until "
            f"{request.hold_shelf_expiry:%Y-%m-%d}."
        ),
    )


async def receive_at_remote_pickup(
    session: AsyncSession, *, request_id: int, at_institution: str
) -> Request:
    """Pickup anywhere (DOMAIN §6 step 4): the pickup member scanned our item in, so it is
    on the hold shelf there and we, the owner, notify the patron; no commit."""
    request = await common.lock_request(session, request_id)
    if request.pickup_institution != at_institution or request.item_id is None:
        raise NotFound("No such request")
    item = await common.lock_item(session, request.item_id)
    now = _now()
    common.apply(request, E.RECEIVE_AT_PICKUP, now=now)
    await shelve_and_notify(session, request=request, item=item, now=now)
    await session.flush()
    return request


async def hold_for_item(session: AsyncSession, *, item_id: int) -> Request | None:
    """The request an item waits on the hold shelf for (the loan service asks whether the
    patron at the desk is the one it is held for)."""
    row: Request | None = await session.scalar(
        select(Request).where(
            Request.item_id == item_id,
            Request.kind == RequestKind.PATRON.value,
            Request.status == S.ON_HOLD_SHELF.value,
        )
    )
    return row


async def release_picked_copy(session: AsyncSession, *, item: Item, patron_id: int) -> None:
    """A desk loaned a copy that another patron's request had chosen for picking: that
    request waits again (item level: for this copy's return; title level: it takes another
    free copy at once when there is one). No commit."""
    picked = (
        await session.scalars(
            select(Request)
            .where(
                Request.item_id == item.id,
                Request.kind == RequestKind.PATRON.value,
                Request.status == S.PICK_FROM_SHELF.value,
                Request.user_id != patron_id,
            )
            .with_for_update()
        )
    ).all()
    now = _now()
    for request in picked:
        if request.level == RequestLevel.TITLE.value:
            request.item_id = None
            request.item_library_id = None
        common.apply(request, E.RELEASE_ITEM, now=now)
        if request.item_id is not None or request.user_id is None:
            continue
        copies = await candidates(session, bib_id=request.bib_id, item=None)
        roles = await patron_roles(session, request.user_id)
        usable = [
            c for c in copies if c.id != item.id and role_covers(roles, c.library_id, now.date())
        ]
        on_shelf = await free_on_shelf(session, usable)
        if on_shelf:
            on_shelf.sort(key=lambda i: (i.library_id != request.pickup_library_id, i.id))
            itemize(request, on_shelf[0])
            common.apply(request, E.ASSIGN_ITEM, now=now)
    await session.flush()


async def complete_on_loan(
    session: AsyncSession, *, item: Item, patron_id: int, loan: Loan
) -> Request | None:
    """Loaning a held item to its patron completes the request and links the loan (no
    commit); ``None`` when the item was not on the hold shelf for a request."""
    held = await hold_for_item(session, item_id=item.id)
    if held is None:
        return None
    request = await common.lock_request(session, held.id)
    if request.user_id != patron_id:
        raise Ineligible(
            "The item is on the hold shelf for another patron",
            code=ErrorCode.ITEM_NOT_AVAILABLE,
        )
    common.apply(request, E.LOAN, now=_now())
    request.hold_shelf_expiry = None
    loan.request_id = request.id
    await session.flush()
    return request


async def expire_hold_shelf(session: AsyncSession, *, now: datetime | None = None) -> list[int]:
    """Cancel every request whose hold-shelf period is over and send its item home (or to
    the next request); one transaction per request, so a failure stops nothing else."""
    moment = now or _now()
    due = (
        await session.scalars(
            select(Request.id)
            .where(Request.status == S.ON_HOLD_SHELF.value, Request.hold_shelf_expiry < moment)
            .order_by(Request.id)
        )
    ).all()
    await session.commit()
    expired: list[int] = []
    for request_id in due:
        try:
            await close_request(
                session, request_id=request_id, event=E.EXPIRE, reason=EXPIRY_REASON, by="SYSTEM"
            )
            await session.commit()
            expired.append(request_id)
        except Conflict:
            # Loaned or cancelled meanwhile: nothing to expire.
            await session.rollback()
    return expired
