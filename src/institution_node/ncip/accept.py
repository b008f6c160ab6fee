"""``AcceptItem``: the borrowing side of a broker. The broker found a lender for one of our
patrons and tells us to take the item in for them (``RequestedActionType``: Hold For
Pickup, Circulate, ...: the item always goes to the patron's hold).

It becomes a borrowing request of the broker partner (``services/resource_sharing/
borrowing``), already **shipped** to us: its temporary bib/holding/item and the patron's
hold on it are made, so staff receive it at the desk (``receiveBorrowingRequest``), loan it,
take it back and return it to the lender as for any borrowing request. The broker's
``RequestId`` names it: the same AcceptItem again answers the same request. Nothing is sent
to the broker for these steps (it learns of them from the answers to its messages).

The patron is ``UserId`` (our primary id: Unknown User otherwise); the pickup library is the
library whose code (or name) ``PickupLocation`` gives, else the broker's lending library,
else the institution's first library. ``DateForReturn`` is the lender's due date.
"""

from __future__ import annotations

from sqlalchemy import or_, select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from ..domain.vocabulary import UserKind
from ..services.resource_sharing import borrowing, borrowing_loans, common
from ..services.resource_sharing.borrowing import BorrowingAsk
from ..services.resource_sharing.messages import Bibliographic
from ..store.models import BorrowingRequest, Library, Partner, User
from . import once
from .endpoint import Exchange
from .handlers import note_message, rid
from .messages import AcceptItem, Ident
from .problems import NcipProblem, ProblemType
from .responses import accept_item
from .wire import serialize


class ItemAcceptance:
    def __init__(self, sessions: async_sessionmaker[AsyncSession]) -> None:
        self.sessions = sessions

    async def __call__(self, exchange: Exchange) -> bytes:
        m = exchange.message
        assert isinstance(m, AcceptItem)
        key = once.digest("AcceptItem", rid(m.request_id))

        async def work(session: AsyncSession) -> tuple[bytes, int | None]:
            partner = await session.get_one(Partner, exchange.caller.partner_id)
            own = (await common.institution(session)).code
            request = await session.scalar(
                select(BorrowingRequest).where(
                    BorrowingRequest.partner_id == partner.id,
                    BorrowingRequest.partner_request_id == m.request_id.value,
                )
            )
            if request is None:
                request = await _accept(session, partner, m)
            note_message(session, exchange, request, partner)
            await session.flush()
            answer = accept_item(
                exchange.parties,
                request_id=m.request_id,
                item_id=Ident(request.item_barcode, agency=own) if request.item_barcode else None,
            )
            return serialize(answer), None

        return await once.served_once(
            self.sessions, partner_id=exchange.caller.partner_id, key=key, work=work
        )


async def _accept(session: AsyncSession, partner: Partner, m: AcceptItem) -> BorrowingRequest:
    if m.user is None:
        raise NcipProblem(ProblemType.NEEDED_DATA_MISSING, "UserId is required", element="UserId")
    patron = await session.scalar(
        select(User.id).where(
            User.primary_id == m.user.ident.value, User.kind == UserKind.PATRON.value
        )
    )
    if patron is None:
        raise NcipProblem(
            ProblemType.UNKNOWN_USER,
            "No user of this library answers to that identifier",
            element="UserId/UserIdentifierValue",
            value=m.user.ident.value,
        )
    actor = common.Actor(partner=partner)
    request = await borrowing.create_request(
        session,
        actor=actor,
        ask=BorrowingAsk(
            patron_primary_id=m.user.ident.value,
            pickup_library_code=await _pickup(session, partner, m.pickup_location),
            bibliographic=Bibliographic(title=m.title or "(no title given)", author=m.author),
            partner_codes=(partner.code,),
        ),
        send=True,
    )
    await borrowing_loans.partner_shipped(
        session,
        actor=actor,
        request_id=request.id,
        due_at=m.date_for_return,
        partner_item_id=m.item_id.value if m.item_id else None,
        partner_request_id=m.request_id.value,
    )
    return request


async def _pickup(session: AsyncSession, partner: Partner, location: str | None) -> str:
    if location:
        code = await session.scalar(
            select(Library.code).where(or_(Library.code == location, Library.name == location))
        )
        if code is not None:
            return str(code)
    if partner.lending_library_id is not None:
        return str(
            await session.scalar(
                select(Library.code).where(Library.id == partner.lending_library_id)
            )
        )
    first = await session.scalar(select(Library.code).order_by(Library.id).limit(1))
    if first is None:
        raise NcipProblem(ProblemType.CANNOT_ACCEPT_ITEM, "This library has no pickup library")
    return str(first)
