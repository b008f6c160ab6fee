"""Placing patron requests: who may ask for what, picked up where, and which copy is chosen.

Title level (a record id) or item level (a barcode); a free copy on the shelf is chosen at
once, preferring one owned by the pickup library. The pickup place may be another member
(pickup anywhere). The rest of a request's life is in ``requests.py``.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from network_common.errors import Conflict, ErrorCode, Ineligible, InvalidInput, NotFound
from network_common.vocabulary import ItemStatus, RequestStatus

from ...domain.circulation import PatronRoleFacts, role_covers
from ...domain.requests import ACTIVE, RequestEvent, RequestKind, RequestLevel
from ...domain.vocabulary import UserKind
from ...store.models import BibRecord, Desk, Item, Library, PatronRole, Request, User
from ..fulfilment.terms import terms_for_items
from . import common

S, E = RequestStatus, RequestEvent
#: Statuses in which a request holds on to its chosen copy.
RESERVING = (S.PICK_FROM_SHELF.value, S.IN_TRANSIT.value, S.ON_HOLD_SHELF.value)


def _now() -> datetime:
    return datetime.now(UTC)


@dataclass(frozen=True, slots=True)
class Pickup:
    """Where the patron collects: a library of ours, or one of another member."""

    institution: str
    library_id: int | None = None
    library_code: str | None = None
    library_name: str | None = None


async def patron_roles(session: AsyncSession, user_id: int) -> list[PatronRoleFacts]:
    rows = await session.scalars(select(PatronRole).where(PatronRole.user_id == user_id))
    return [PatronRoleFacts(library_id=r.library_id, expiry=r.expiry_date) for r in rows]


async def local_pickup(session: AsyncSession, *, own_code: str, library_code: str) -> Pickup:
    """A library of ours with a pickup-point desk, or PICKUP_NOT_ALLOWED."""
    lib = await session.scalar(select(Library).where(Library.code == library_code))
    has_point = lib is not None and await session.scalar(
        select(Desk.id).where(Desk.library_id == lib.id, Desk.is_pickup_point.is_(True)).limit(1)
    )
    if lib is None or not has_point:
        raise Ineligible(
            f"{library_code} is not a pickup library here", code=ErrorCode.PICKUP_NOT_ALLOWED
        )
    return Pickup(
        institution=own_code, library_id=lib.id, library_code=lib.code, library_name=lib.name
    )


async def place_for_patron(
    session: AsyncSession,
    *,
    patron_primary_id: str,
    pickup_library_code: str,
    record_id: str | None,
    barcode: str | None,
    note: str | None = None,
) -> Request:
    """Staff place a hold for one of our patrons, for pickup at one of our libraries."""
    facts = await common.setup(session)
    patron_id = await session.scalar(
        select(User.id).where(
            User.primary_id == patron_primary_id, User.kind == UserKind.PATRON.value
        )
    )
    if patron_id is None:
        raise NotFound("No such patron")
    pickup = await local_pickup(session, own_code=facts.code, library_code=pickup_library_code)
    return await place_request(
        session,
        patron_id=patron_id,
        record_id=record_id,
        barcode=barcode,
        pickup=pickup,
        note=note,
    )


async def place_request(
    session: AsyncSession,
    *,
    patron_id: int,
    record_id: str | None,
    barcode: str | None,
    pickup: Pickup,
    note: str | None = None,
    commit: bool = True,
) -> Request:
    """Place a hold (title level by record id, item level by barcode) and itemize it at once
    when a copy is on the shelf; commits (``commit=False``: flushes only, for callers that
    write more in the same transaction, e.g. an idempotent network write)."""
    facts = await common.setup(session)
    if pickup.institution != facts.code and pickup.institution not in facts.pickup_anywhere:
        raise Ineligible(
            f"Items here may not be picked up at {pickup.institution}",
            code=ErrorCode.PICKUP_NOT_ALLOWED,
        )
    if (record_id is None) == (barcode is None):
        raise InvalidInput("Give either a record id (title level) or a barcode (item level)")
    # Lock the patron: two placements at once must not both pass the duplicate check below.
    patron = await session.scalar(select(User).where(User.id == patron_id).with_for_update())
    if patron is None or patron.kind != UserKind.PATRON.value:
        raise NotFound("No such patron")
    item_level: Item | None = None
    if barcode is not None:
        item_level = await session.scalar(select(Item).where(Item.barcode == barcode))
        if item_level is None:
            raise NotFound("No such item")
        bib_id = item_level.bib_id
    else:
        found = await session.scalar(
            select(BibRecord.id).where(BibRecord.network_record_id == record_id)
        )
        if found is None:
            raise NotFound("No such record")
        bib_id = found
    copies = await candidates(session, bib_id=bib_id, item=item_level)
    roles = await patron_roles(session, patron_id)
    today = _now().date()
    covered = [c for c in copies if role_covers(roles, c.library_id, today)]
    # The terms of use decide too: requestable for this patron, and picked up elsewhere
    # than the owning library only if the terms allow it (DOMAIN §2).
    terms = await terms_for_items(session, items=covered, patron_id=patron_id)
    requestable = [c for c in covered if terms[c.id].requestable]
    usable = [
        c
        for c in requestable
        if terms[c.id].pickup_allowed
        or (pickup.institution == facts.code and pickup.library_id == c.library_id)
    ]
    if not usable:
        if requestable:
            raise Ineligible(
                "The terms of use allow pickup of this item only at its own library",
                code=ErrorCode.PICKUP_NOT_ALLOWED,
            )
        raise Ineligible(
            "No copy here may be requested by this patron", code=ErrorCode.NOT_REQUESTABLE
        )
    duplicate = await session.scalar(
        select(Request.id).where(
            Request.user_id == patron_id,
            Request.bib_id == bib_id,
            Request.status.in_([s.value for s in ACTIVE]),
        )
    )
    if duplicate is not None:
        raise Conflict("The patron already has an active request for this title")
    now = _now()
    request = Request(
        kind=RequestKind.PATRON.value,
        level=(RequestLevel.ITEM if item_level else RequestLevel.TITLE).value,
        user_id=patron_id,
        bib_id=bib_id,
        item_id=item_level.id if item_level else None,
        item_library_id=item_level.library_id if item_level else None,
        pickup_institution=pickup.institution,
        pickup_library_id=pickup.library_id,
        pickup_library_code=pickup.library_code,
        pickup_library_name=pickup.library_name,
        # Waiting: managed by the item's owner (item level) or the pickup library.
        managing_library_id=item_level.library_id if item_level else pickup.library_id,
        status=S.PLACED.value,
        note=note,
        placed_at=now,
        updated_at=now,
        version=1,
    )
    session.add(request)
    await session.flush()
    # Lock the copies so two placements at once cannot both choose the same one.
    await session.execute(
        select(Item.id).where(Item.id.in_([c.id for c in usable])).with_for_update()
    )
    on_shelf = await free_on_shelf(session, usable)
    if on_shelf:
        # Prefer a copy owned by the pickup library: no transit needed.
        on_shelf.sort(key=lambda i: (i.library_id != pickup.library_id, i.id))
        itemize(request, on_shelf[0])
        common.apply(request, E.ASSIGN_ITEM, now=now)
    else:
        # Resource sharing builds on requests, not the other way round: imported here.
        from ..resource_sharing.recalls import recall_for_local_request

        await recall_for_local_request(
            session, request_id=request.id, item_ids=[c.id for c in usable]
        )
    if commit:
        await session.commit()
    else:
        await session.flush()
    return request


async def candidates(session: AsyncSession, *, bib_id: int, item: Item | None) -> list[Item]:
    if item is not None:
        return [item] if item.requestable and item.loanable else []
    rows = await session.scalars(
        select(Item).where(
            Item.bib_id == bib_id, Item.requestable.is_(True), Item.loanable.is_(True)
        )
    )
    return list(rows)


async def free_on_shelf(session: AsyncSession, items: list[Item]) -> list[Item]:
    """Copies on the shelf that no other request has already chosen."""
    shelf = [i for i in items if i.status == ItemStatus.ON_SHELF.value]
    if not shelf:
        return []
    taken = set(
        (
            await session.scalars(
                select(Request.item_id).where(
                    Request.item_id.in_([i.id for i in shelf]), Request.status.in_(RESERVING)
                )
            )
        ).all()
    )
    return [i for i in shelf if i.id not in taken]


def itemize(request: Request, item: Item) -> None:
    request.item_id = item.id
    request.item_library_id = item.library_id
