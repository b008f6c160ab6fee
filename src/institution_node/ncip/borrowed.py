"""The broker's later messages about a borrowing request it made with ``AcceptItem``.

- ``CheckInItem`` of the borrowed item: the lender has it back, the request is
  **completed** (``partner_checked_in``, as the ISO 18626 lender's "loan completed" does);
- ``DeleteItem`` of our temporary item: the broker is done with it; the same.

Both close only a request whose item has gone back to the lender (``RETURNED_TO_PARTNER``)
or that the lender declared lost; said again, or of a closed request, they answer the same.
While the item is still here (on its way, on the hold shelf, with the patron) they are
refused and nothing changes: the desk's return and "ship it back" come first, and the
broker's word does not take an item from a patron. Without these, a broker's borrowing
request stayed open after its item went back (no staff step closes it).

The message names the request by the broker's ``RequestId`` (CheckInItem may carry one)
or by the item: our temporary copy's barcode (kept on the request once the copy is gone)
or the lender's item id as AcceptItem gave it (``finding.borrowed``). A CheckInItem that
names no borrowing request of the broker is the lending side's (``handlers``); a DeleteItem
that names none is Unknown Item: a copy of our own collection is never deleted on a
broker's word, and it gets the same answer as an item nobody has.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from network_common.errors import Conflict, ErrorCode

from ..services.resource_sharing import borrowing_loans, common
from ..store.models import Partner
from . import finding, messages, once, responses
from .endpoint import Exchange, Handler
from .handlers import note_message, rid
from .messages import Ident
from .problems import NcipProblem, ProblemType
from .responses import Parties
from .wire import serialize

Answer = Callable[[Parties, Ident], Any]


class BorrowedItems:
    """CheckInItem (borrowing side first, else ``lending_check_in``) and DeleteItem."""

    def __init__(self, sessions: async_sessionmaker[AsyncSession], lending_check_in: Handler):
        self.sessions = sessions
        self.lending_check_in = lending_check_in

    async def _named(self, exchange: Exchange, item: Ident, request: Ident | None) -> int | None:
        async with self.sessions() as session:
            found = await finding.borrowed(
                session, partner_id=exchange.caller.partner_id, item=item, request=request
            )
            return None if found is None else found.id

    async def check_in_item(self, exchange: Exchange) -> bytes:
        m = exchange.message
        assert isinstance(m, messages.CheckInItem)
        request_id = await self._named(exchange, m.item_id, m.request_id)
        if request_id is None:
            return await self.lending_check_in(exchange)
        key = once.digest("CheckInItem:borrowed", rid(m.request_id), m.item_id.value)
        return await self._close(
            exchange,
            key,
            request_id,
            m.item_id,
            refusal=ProblemType.ITEM_NOT_CHECKED_OUT,
            answer=lambda parties, item: responses.check_in_item(
                parties, item_id=item, user_id=None
            ),
        )

    async def delete_item(self, exchange: Exchange) -> bytes:
        m = exchange.message
        assert isinstance(m, messages.DeleteItem)
        request_id = await self._named(exchange, m.item_id, None)
        if request_id is None:
            raise NcipProblem(
                ProblemType.UNKNOWN_ITEM,
                "No item this agency lent us answers to that identifier",
                element="ItemId/ItemIdentifierValue",
                value=m.item_id.value,
            )
        return await self._close(
            exchange,
            once.digest("DeleteItem", m.item_id.value),
            request_id,
            m.item_id,
            refusal=ProblemType.ELEMENT_RULE_VIOLATED,
            answer=lambda parties, item: responses.delete_item(parties, item_id=item),
        )

    async def _close(
        self,
        exchange: Exchange,
        key: str,
        request_id: int,
        item: Ident,
        *,
        refusal: ProblemType,
        answer: Answer,
    ) -> bytes:
        async def work(session: AsyncSession) -> tuple[bytes, int | None]:
            partner = await session.get_one(Partner, exchange.caller.partner_id)
            actor = common.Actor(partner=partner)
            try:
                request = await borrowing_loans.partner_checked_in(
                    session, actor=actor, request_id=request_id
                )
            except Conflict as exc:
                if exc.code is not ErrorCode.ILLEGAL_TRANSITION:
                    raise
                raise NcipProblem(
                    refusal,
                    "The borrowed item has not been sent back to its lender yet",
                    element="ItemId/ItemIdentifierValue",
                    value=item.value,
                ) from exc
            note_message(session, exchange, request, partner)
            await session.flush()
            return serialize(answer(exchange.parties, item)), None

        return await once.served_once(
            self.sessions, partner_id=exchange.caller.partner_id, key=key, work=work
        )
