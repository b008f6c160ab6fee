"""Helpers shared by the request services: locking, applying a transition, moving items."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from network_common.errors import NotFound
from network_common.scope import Scope
from network_common.tokens import Principal
from network_common.vocabulary import (
    REQUEST_ROLES,
    IndependenceModel,
    ItemStatus,
    NextStep,
    RequestStatus,
    StaffRoleType,
)

from ...domain.requests import (
    CLOSED,
    Places,
    RequestEvent,
    RequestKind,
    managing_library,
    next_status,
)
from ...store.models import Institution, Item, Library, Request

#: Roles that may work with requests (monitor, pick from shelf, scan in, place, cancel).
REQUEST_WORK_ROLES: frozenset[StaffRoleType] = REQUEST_ROLES | frozenset(
    {StaffRoleType.CIRCULATION_DESK_OPERATOR_LIMITED}
)


@dataclass(frozen=True, slots=True)
class NextStepInfo:
    """What to do with an item in hand, and for which request."""

    step: NextStep
    destination_library_id: int | None = None
    destination_code: str | None = None
    destination_name: str | None = None
    destination_institution: str | None = None  # set when it travels to another member
    request_id: int | None = None


@dataclass(frozen=True, slots=True)
class Setup:
    """The institution facts request services need."""

    code: str
    model: IndependenceModel
    hold_shelf_days: int
    pickup_anywhere: frozenset[str]
    separate_by_library: bool


async def setup(session: AsyncSession) -> Setup:
    inst = await session.scalar(select(Institution))
    if inst is None:
        raise NotFound("No institution is loaded on this node")
    return Setup(
        code=inst.code,
        model=IndependenceModel(inst.fulfillment_independence_model),
        hold_shelf_days=inst.hold_shelf_days,
        pickup_anywhere=frozenset(inst.pickup_anywhere or ()),
        separate_by_library=inst.separate_patron_notifications_by_library,
    )


def request_scope(actor: Principal) -> Scope:
    return actor.scope(REQUEST_WORK_ROLES)


async def lock_request(session: AsyncSession, request_id: int) -> Request:
    """Load a request for change; PostgreSQL row lock (SQLite: the write transaction) makes
    a concurrent second action see the first one's result."""
    row = await session.scalar(select(Request).where(Request.id == request_id).with_for_update())
    if row is None:
        raise NotFound("No such request")
    return row


async def lock_item(session: AsyncSession, item_id: int) -> Item:
    row = await session.scalar(select(Item).where(Item.id == item_id).with_for_update())
    if row is None:
        raise NotFound("No such item")
    return row


def apply(
    request: Request,
    event: RequestEvent,
    *,
    now: datetime,
    transit_from: int | None = None,
) -> RequestStatus:
    """Move ``request`` through the table (or raise ILLEGAL_TRANSITION, changing nothing)
    and record the library managing it now."""
    target = next_status(RequestKind(request.kind), RequestStatus(request.status), event)
    request.status = target.value
    request.managing_library_id = managing_library(
        target,
        Places(
            item_library=request.item_library_id,
            pickup_library=request.pickup_library_id,
            transit_from=transit_from,
        ),
    )
    request.updated_at = now
    request.version = (request.version or 1) + 1
    if target in CLOSED:
        request.closed_at = now
    return target


def is_local_pickup(request: Request, own_code: str) -> bool:
    return request.pickup_institution == own_code and request.pickup_library_id is not None


def put_on_hold_shelf(request: Request, item: Item, *, now: datetime, days: int) -> None:
    item.status = ItemStatus.ON_HOLD_SHELF.value
    item.transit_to_library_id = None
    item.transit_to_institution = None
    request.hold_shelf_expiry = now + timedelta(days=days)


def send_towards_pickup(request: Request, item: Item, own_code: str) -> None:
    item.status = ItemStatus.IN_TRANSIT.value
    if is_local_pickup(request, own_code):
        item.transit_to_library_id = request.pickup_library_id
        item.transit_to_institution = None
    else:
        item.transit_to_library_id = None
        item.transit_to_institution = request.pickup_institution


async def library_names(session: AsyncSession) -> dict[int, tuple[str, str]]:
    """id -> (code, name) for every library (a handful of rows)."""
    rows = await session.execute(select(Library.id, Library.code, Library.name))
    return {r.id: (r.code, r.name) for r in rows}


async def towards_pickup_info(
    session: AsyncSession, request: Request, step: NextStep
) -> NextStepInfo:
    """The answer for an item that now serves ``request`` (hold shelf here, or transit)."""
    if request.pickup_library_id is not None:
        lib = await session.get(Library, request.pickup_library_id)
        assert lib is not None
        return NextStepInfo(
            step=step,
            destination_library_id=lib.id,
            destination_code=lib.code,
            destination_name=lib.name,
            request_id=request.id,
        )
    return NextStepInfo(
        step=step,
        destination_code=request.pickup_library_code,
        destination_name=request.pickup_library_name,
        destination_institution=request.pickup_institution,
        request_id=request.id,
    )
