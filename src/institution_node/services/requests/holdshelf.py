"""Scanning items in for requests, and the hold-shelf jobs (reminders, expiry).

Scan in at a desk answers what to do with the item in hand: put it on the hold shelf
here, send it in transit (naming the destination), or reshelve it.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from network_common.errors import Conflict, ErrorCode, Forbidden, NotFound
from network_common.tokens import Principal
from network_common.vocabulary import ItemStatus, NextStep, RequestStatus

from ...domain.letters import Letter
from ...domain.requests import RequestEvent, RequestKind
from ...store.models import BibRecord, Desk, Item, Library, Request
from . import common
from . import lifecycle as requests_service
from .common import NextStepInfo
from .letters import record_letter

S, E = RequestStatus, RequestEvent


@dataclass(frozen=True, slots=True)
class ScanOutcome:
    info: NextStepInfo
    request: Request | None  # the request the item now serves (or that just ended)


async def scan_in(
    session: AsyncSession, *, actor: Principal, barcode: str, desk_code: str
) -> ScanOutcome:
    """Scan an item in at a desk of the operator's libraries and move its request on;
    commits."""
    desk = await session.scalar(select(Desk).where(Desk.code == desk_code))
    scope = common.request_scope(actor)
    if desk is None or not actor.has_any_role(common.REQUEST_WORK_ROLES):
        raise NotFound("No such desk")
    if not scope.covers(desk.library_id):
        raise Forbidden("You do not work at this desk's library")
    item_id = await session.scalar(select(Item.id).where(Item.barcode == barcode))
    if item_id is None:
        raise NotFound("No such item")
    item = await common.lock_item(session, item_id)
    if item.status == ItemStatus.ON_LOAN.value:
        raise Conflict("The item is on loan: return it first", code=ErrorCode.ITEM_ON_LOAN)
    outcome = await _scan(session, item=item, at=desk.library_id)
    await session.commit()
    return outcome


async def _active_for(session: AsyncSession, item_id: int) -> Request | None:
    row: Request | None = await session.scalar(
        select(Request)
        .where(
            Request.item_id == item_id,
            Request.status.in_(
                [S.PICK_FROM_SHELF.value, S.IN_TRANSIT.value, S.ON_HOLD_SHELF.value]
            ),
        )
        .order_by(Request.id)
        .limit(1)
        .with_for_update()
    )
    return row


async def _scan(session: AsyncSession, *, item: Item, at: int) -> ScanOutcome:
    facts = await common.setup(session)
    now = datetime.now(UTC)
    await _finish_work_orders(session, item=item, now=now)
    request = await _active_for(session, item.id)
    if request is not None and request.kind == RequestKind.PATRON.value:
        local_here = common.is_local_pickup(request, facts.code) and request.pickup_library_id == at
        status = RequestStatus(request.status)
        if status is S.PICK_FROM_SHELF:
            if at != item.library_id:
                raise Conflict("A requested item is picked and scanned at its owning library")
            if local_here:
                common.apply(request, E.SHELVE_FOR_PICKUP, now=now)
                await requests_service.shelve_and_notify(
                    session, request=request, item=item, now=now
                )
                step = NextStep.HOLD_SHELF
            else:
                common.apply(request, E.SEND_IN_TRANSIT, now=now, transit_from=at)
                common.send_towards_pickup(request, item, facts.code)
                step = NextStep.TRANSIT
        elif status is S.IN_TRANSIT and local_here:
            common.apply(request, E.RECEIVE_AT_PICKUP, now=now)
            await requests_service.shelve_and_notify(session, request=request, item=item, now=now)
            step = NextStep.HOLD_SHELF
        else:
            # Still travelling (scanned on the way), or already on its hold shelf.
            step = NextStep.HOLD_SHELF if status is S.ON_HOLD_SHELF else NextStep.TRANSIT
        await session.flush()
        return ScanOutcome(await common.towards_pickup_info(session, request, step), request)
    if item.status == ItemStatus.IN_TRANSIT.value and item.transit_to_library_id not in (None, at):
        home = request if request is not None else None
        return ScanOutcome(await _towards(session, item.transit_to_library_id), home)
    if request is not None:  # a transit home that arrived
        common.apply(request, E.ARRIVE_HOME, now=now)
    item.status = ItemStatus.ON_SHELF.value
    item.transit_to_library_id = None
    item.transit_to_institution = None
    await session.flush()
    taken = await requests_service.take_over_returned_item(session, item=item, at_library_id=at)
    if taken is not None:
        return ScanOutcome(taken, await session.get(Request, taken.request_id))
    if at != item.library_id:
        transit = await requests_service.send_home(session, item=item, leaving_from=at, now=now)
        return ScanOutcome(await _towards(session, item.library_id), transit)
    return ScanOutcome(NextStepInfo(step=NextStep.RESHELVE), request)


async def _towards(session: AsyncSession, library_id: int | None) -> NextStepInfo:
    lib = await session.get(Library, library_id) if library_id is not None else None
    return NextStepInfo(
        step=NextStep.TRANSIT,
        destination_library_id=library_id,
        destination_code=lib.code if lib else None,
        destination_name=lib.name if lib else None,
    )


async def _finish_work_orders(session: AsyncSession, *, item: Item, now: datetime) -> None:
    rows = await session.scalars(
        select(Request)
        .where(
            Request.item_id == item.id,
            Request.kind == RequestKind.WORK_ORDER.value,
            Request.status == S.IN_PROCESS.value,
        )
        .with_for_update()
    )
    for row in rows:
        common.apply(row, E.FINISH_WORK, now=now)


async def create_work_order(
    session: AsyncSession, *, actor: Principal, barcode: str, note: str
) -> Request:
    """Open a work order on an item at its owning library (done when scanned in); commits."""
    item = await session.scalar(select(Item).where(Item.barcode == barcode))
    if item is None:
        raise NotFound("No such item")
    if not common.request_scope(actor).covers(item.library_id):
        raise Forbidden("Work orders are opened by the item's owning library")
    facts = await common.setup(session)
    now = datetime.now(UTC)
    row = Request(
        kind=RequestKind.WORK_ORDER.value,
        level="ITEM",
        bib_id=item.bib_id,
        item_id=item.id,
        item_library_id=item.library_id,
        pickup_institution=facts.code,
        managing_library_id=item.library_id,
        status=S.IN_PROCESS.value,
        note=note,
        placed_at=now,
        updated_at=now,
        version=1,
    )
    session.add(row)
    await session.commit()
    return row


async def send_hold_shelf_reminders(
    session: AsyncSession, *, now: datetime | None = None, ahead: timedelta = timedelta(days=1)
) -> int:
    """One aggregated On Hold Shelf Reminder per patron for holds expiring soon: per owning
    library when ``separate_patron_notifications_by_library`` is on, else per institution.
    Each request is reminded once. Returns the number of letters; commits."""
    facts = await common.setup(session)
    moment = now or datetime.now(UTC)
    rows = (
        await session.execute(
            select(Request, BibRecord.title)
            .join(BibRecord, BibRecord.id == Request.bib_id)
            .where(
                Request.kind == RequestKind.PATRON.value,
                Request.status == S.ON_HOLD_SHELF.value,
                Request.reminder_sent_at.is_(None),
                Request.hold_shelf_expiry >= moment,
                Request.hold_shelf_expiry < moment + ahead,
            )
            .order_by(Request.id)
            .with_for_update(of=Request)
        )
    ).all()
    groups: dict[tuple[int, int | None], list[tuple[Request, str]]] = defaultdict(list)
    for request, title in rows:
        assert request.user_id is not None
        owner = request.item_library_id if facts.separate_by_library else None
        groups[(request.user_id, owner)].append((request, title))
    for (user_id, owner), entries in groups.items():
        lines = [
            f"- {title}: until {req.hold_shelf_expiry:%Y-%m-%d} at "
            f"{req.pickup_library_name or req.pickup_library_code}"
            for req, title in entries
        ]
        await record_letter(
            session,
            user_id=user_id,
            letter=Letter.ON_HOLD_SHELF_REMINDER,
            owner=owner,
            subject=f"{len(entries)} item(s) wait for you on the hold shelf",
            body="\n".join(lines),
        )
        for req, _ in entries:
            req.reminder_sent_at = moment
    await session.commit()
    return len(groups)
