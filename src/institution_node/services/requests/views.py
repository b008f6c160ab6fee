"""Reading requests: the requests monitor, pick-from-shelf lists, a patron's requests.

Every list is one ``SELECT`` of columns (no ORM entities) with the visibility clause in its
``WHERE``, keyset-paged on the request id, so a library-scoped operator's page costs the
same however many requests other libraries have.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import ColumnElement, Select, func, select
from sqlalchemy.ext.asyncio import AsyncSession

from network_common.errors import Forbidden, InvalidInput, NotFound
from network_common.tokens import Principal
from network_common.vocabulary import RequestStatus

from ...domain.requests import ACTIVE, CLOSED, RequestKind, allowed_events
from ...domain.visibility import may_manage_library
from ...domain.vocabulary import UserKind
from ...store.models import BibRecord, Holding, Item, Library, Request, User
from . import common
from .visibility import visible_requests

MAX_PAGE = 200


@dataclass(frozen=True, slots=True)
class RequestView:
    id: int
    kind: str
    level: str
    status: str
    title: str
    record_id: str
    item_barcode: str | None
    item_location: str | None
    call_number: str | None
    owning_library: str | None  # code of the chosen item's owner
    pickup_institution: str
    pickup_library: str | None
    pickup_library_name: str | None
    managing_library: str | None
    patron_primary_id: str | None
    patron_name: str | None
    placed_at: datetime
    hold_shelf_expiry: datetime | None
    cancel_reason: str | None
    cancelled_by: str | None
    closed_at: datetime | None
    note: str | None
    allowed_actions: list[str]


@dataclass(frozen=True, slots=True)
class RequestPage:
    total_count: int
    nodes: list[RequestView]
    end_cursor: str | None
    has_next_page: bool


_COLUMNS = (
    Request.id,
    Request.kind,
    Request.level,
    Request.status,
    Request.item_library_id,
    Request.pickup_institution,
    Request.pickup_library_id,
    Request.pickup_library_code,
    Request.pickup_library_name,
    Request.managing_library_id,
    Request.placed_at,
    Request.hold_shelf_expiry,
    Request.cancel_reason,
    Request.cancelled_by,
    Request.closed_at,
    Request.note,
    BibRecord.title,
    BibRecord.network_record_id,
    Item.barcode,
    Item.location,
    Holding.call_number,
    User.primary_id,
    User.first_name,
    User.last_name,
)


def _select() -> Select[*tuple[Any, ...]]:
    return (
        select(*_COLUMNS)
        .join(BibRecord, BibRecord.id == Request.bib_id)
        .outerjoin(Item, Item.id == Request.item_id)
        .outerjoin(Holding, Holding.id == Item.holding_id)
        .outerjoin(User, User.id == Request.user_id)
    )


def _view(row: Any, libs: dict[int, tuple[str, str]]) -> RequestView:
    def code(lib_id: int | None) -> str | None:
        return libs[lib_id][0] if lib_id in libs else None

    pickup_code = code(row.pickup_library_id) or row.pickup_library_code
    pickup_name = (
        libs[row.pickup_library_id][1] if row.pickup_library_id in libs else None
    ) or row.pickup_library_name
    name = f"{row.first_name} {row.last_name}".strip() if row.primary_id else None
    actions = allowed_events(RequestKind(row.kind), RequestStatus(row.status))
    return RequestView(
        id=row.id,
        kind=row.kind,
        level=row.level,
        status=row.status,
        title=row.title,
        record_id=row.network_record_id,
        item_barcode=row.barcode,
        item_location=row.location,
        call_number=row.call_number,
        owning_library=code(row.item_library_id),
        pickup_institution=row.pickup_institution,
        pickup_library=pickup_code,
        pickup_library_name=pickup_name,
        managing_library=code(row.managing_library_id),
        patron_primary_id=row.primary_id,
        patron_name=name,
        placed_at=row.placed_at,
        hold_shelf_expiry=row.hold_shelf_expiry,
        cancel_reason=row.cancel_reason,
        cancelled_by=row.cancelled_by,
        closed_at=row.closed_at,
        note=row.note,
        allowed_actions=[e.value for e in actions],
    )


async def _library_id(session: AsyncSession, code: str) -> int:
    found = await session.scalar(select(Library.id).where(Library.code == code))
    if found is None:
        raise NotFound(f"No library {code}")
    return found


def _statuses(statuses: Sequence[str] | None) -> list[str] | None:
    if not statuses:
        return None
    try:
        return [RequestStatus(s).value for s in statuses]
    except ValueError as exc:
        raise InvalidInput(
            "status must be among " + ", ".join(s.value for s in RequestStatus)
        ) from exc


async def requests_monitor(
    session: AsyncSession,
    *,
    actor: Principal,
    statuses: Sequence[str] | None = None,
    pickup_library: str | None = None,
    owning_library: str | None = None,
    first: int = 50,
    after: str | None = None,
) -> RequestPage:
    """The requests monitor: filtered by status/pickup/owner, only visible rows, paged."""
    facts = await common.setup(session)
    scope = common.request_scope(actor)
    if not 1 <= first <= MAX_PAGE:
        raise InvalidInput(f"first must be between 1 and {MAX_PAGE}")
    where: list[ColumnElement[bool]] = [visible_requests(facts.model, scope)]
    wanted = _statuses(statuses)
    if wanted:
        where.append(Request.status.in_(wanted))
    if pickup_library:
        where.append(Request.pickup_library_id == await _library_id(session, pickup_library))
    if owning_library:
        where.append(Request.item_library_id == await _library_id(session, owning_library))
    total = await session.scalar(select(func.count()).select_from(Request).where(*where)) or 0
    query = _select().where(*where)
    if after:
        try:
            cursor = int(after)
        except ValueError as exc:
            raise InvalidInput("after is not a cursor from this list") from exc
        if not 0 <= cursor < 2**31:  # ids are 32-bit integers in storage
            raise InvalidInput("after is not a cursor from this list")
        query = query.where(Request.id > cursor)
    rows = (await session.execute(query.order_by(Request.id).limit(first + 1))).all()
    libs = await common.library_names(session)
    views = [_view(r, libs) for r in rows[:first]]
    return RequestPage(
        total_count=total,
        nodes=views,
        end_cursor=str(views[-1].id) if views else None,
        has_next_page=len(rows) > first,
    )


async def pick_from_shelf(
    session: AsyncSession, *, actor: Principal, library_code: str
) -> list[RequestView]:
    """The library's pick-from-shelf tasks (shelf order), for operators of that library."""
    facts = await common.setup(session)
    library_id = await _library_id(session, library_code)
    scope = common.request_scope(actor)
    if not may_manage_library(facts.model, scope, library_id):
        raise Forbidden("Pick-from-shelf lists are worked by the owning library's operators")
    query = (
        _select()
        .where(
            Request.status == RequestStatus.PICK_FROM_SHELF.value,
            Request.item_library_id == library_id,
            visible_requests(facts.model, scope),
        )
        .order_by(Item.location, Holding.call_number, Request.placed_at, Request.id)
    )
    libs = await common.library_names(session)
    return [_view(r, libs) for r in (await session.execute(query)).all()]


async def get_request(session: AsyncSession, *, actor: Principal, request_id: int) -> RequestView:
    """One request the operator may see (NOT_FOUND otherwise)."""
    facts = await common.setup(session)
    scope = common.request_scope(actor)
    query = _select().where(Request.id == request_id, visible_requests(facts.model, scope))
    row = (await session.execute(query)).first()
    if row is None:
        raise NotFound("No such request")
    return _view(row, await common.library_names(session))


async def view_by_id(session: AsyncSession, *, request_id: int) -> RequestView:
    """The answer to an action the caller was allowed to take (no visibility filter)."""
    row = (await session.execute(_select().where(Request.id == request_id))).first()
    if row is None:
        raise NotFound("No such request")
    return _view(row, await common.library_names(session))


async def patron_requests(
    session: AsyncSession, *, actor: Principal, patron_primary_id: str, closed: bool
) -> list[RequestView]:
    """A patron's active (or completed/cancelled) requests that the operator may see."""
    facts = await common.setup(session)
    scope = common.request_scope(actor)
    patron_id = await session.scalar(
        select(User.id).where(
            User.primary_id == patron_primary_id, User.kind == UserKind.PATRON.value
        )
    )
    if patron_id is None:
        raise NotFound("No such patron")
    states = CLOSED if closed else ACTIVE
    query = (
        _select()
        .where(
            Request.user_id == patron_id,
            Request.status.in_([s.value for s in states]),
            visible_requests(facts.model, scope),
        )
        .order_by(Request.placed_at.desc(), Request.id.desc())
    )
    libs = await common.library_names(session)
    return [_view(r, libs) for r in (await session.execute(query)).all()]


def pick_slip(view: RequestView) -> str:
    """The printable slip that goes with the item to the pickup place."""
    pickup = view.pickup_library_name or view.pickup_library or "?"
    lines = [
        f"PICK SLIP  request {view.id}",
        f"Title:     {view.title}",
        f"Barcode:   {view.item_barcode or '-'}",
        f"Location:  {view.item_location or '-'}  {view.call_number or ''}".rstrip(),
        f"Owner:     {view.owning_library or '-'}",
        f"Pickup:    {pickup} ({view.pickup_institution})",
        f"Patron:    {view.patron_name or '-'} [{view.patron_primary_id or '-'}]",
    ]
    return "\n".join(lines)
