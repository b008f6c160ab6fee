"""The broker's lending calls (seed 004), each one step of the lending services:

- ``RequestItem``: the lending request for the broker (found again by its request id) and
  its move request: the copy goes on its owner's pick-from-shelf list (``will_supply``);
- ``CheckOutItem``: the shipping step, the copy is loaned to the broker partner's patron
  record (``ship``); the answer carries the due date. Without a prior RequestItem the
  request is made on the spot (Alma's broker profile: "the broker *may* send RequestItem");
- ``CheckInItem``: the copy is back: the loan ends, the request is completed (``check_in``);
- ``CancelRequestItem``: cancels what has not shipped (``partner_cancel``); after shipping
  it is refused (Request Already Processed) and nothing changes;
- ``RenewItem``: the broker renews the loan, to its desired due date or by our rules.

Each runs in one transaction with its claim (``once``): a retry answers the same and
changes nothing; a Problem leaves nothing behind. Every served message adds a line to
the request's history (``NCIP:<service>``), which staff read with the request.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from datetime import datetime
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from network_common.vocabulary import LoanStatus

from ..domain import lending as table
from ..domain.circulation import check_renewal
from ..domain.lending import LendingStatus
from ..services.fulfilment.terms import loan_terms
from ..services.requests.placement import free_on_shelf
from ..services.resource_sharing import common, lending, lending_loans
from ..services.resource_sharing.lending import PartnerAsk
from ..services.resource_sharing.messages import Bibliographic
from ..store.models import BorrowingRequest, Item, LendingRequest, Loan, Partner
from . import finding, messages, once, responses
from .endpoint import Exchange, Handler
from .messages import Ident
from .problems import NcipProblem, ProblemType
from .wire import serialize

S = LendingStatus
#: What a handler's step gives back: the answer (an NCIPMessage element) and its request.
Served = tuple[Any, LendingRequest]
Step = Callable[[AsyncSession, Partner, str], Awaitable[Served]]
OUT = frozenset({S.SHIPPED, S.RENEW_REQUESTED})


def rid(ident: Ident | None) -> str | None:
    """A request id as part of a claim key (its agency and value)."""
    return None if ident is None else f"{ident.agency or ''}/{ident.value}"


def note_message(
    session: AsyncSession,
    exchange: Exchange,
    request: LendingRequest | BorrowingRequest,
    partner: Partner,
) -> None:
    """The message in the request's history (what staff see as the NCIP exchange)."""
    lending = isinstance(request, LendingRequest)
    common.history(
        session,
        category=common.HistoryCategory.MESSAGE_IN,
        kind=f"NCIP:{exchange.service}",
        actor=common.Actor(partner=partner),
        lending_id=request.id if lending else None,
        borrowing_id=None if lending else request.id,
        partner_id=partner.id,
        note=f"From {exchange.caller.agency_id} about {request.partner_request_id}",
        payload={"protocol": "NCIP", "service": exchange.service, "outcome": "ok"},
    )


class LendingHandlers:
    """The responder's handlers over the node's sessions."""

    def __init__(self, sessions: async_sessionmaker[AsyncSession]) -> None:
        self.sessions = sessions

    def table(self) -> dict[str, Handler]:
        return {
            "RequestItem": self.request_item,
            "CheckOutItem": self.check_out_item,
            "CheckInItem": self.check_in_item,
            "CancelRequestItem": self.cancel_request_item,
            "RenewItem": self.renew_item,
        }

    async def _run(
        self,
        exchange: Exchange,
        key: str,
        step: Step,
    ) -> bytes:
        async def work(session: AsyncSession) -> tuple[bytes, int | None]:
            partner = await session.get_one(Partner, exchange.caller.partner_id)
            own = (await common.institution(session)).code
            answer, request = await step(session, partner, own)
            note_message(session, exchange, request, partner)
            await session.flush()
            return serialize(answer), request.id

        return await once.served_once(
            self.sessions, partner_id=exchange.caller.partner_id, key=key, work=work
        )

    # ---- RequestItem -------------------------------------------------------------------

    async def request_item(self, exchange: Exchange) -> bytes:
        m = exchange.message
        assert isinstance(m, messages.RequestItem)
        key = once.digest(
            "RequestItem",
            rid(m.request_id),
            m.user.ident.value,
            ",".join(i.value for i in m.item_ids),
            ",".join(m.bib_ids),
        )

        async def step(session: AsyncSession, partner: Partner, own: str) -> Served:
            item, bib = await finding.wanted(session, m)
            their_id = (
                m.request_id.value
                if m.request_id
                else f"NCIP-{m.user.ident.value}-{item.barcode if item else bib.network_record_id}"
            )[:128]
            request, _ = await lending.receive_request(
                session,
                partner=partner,
                ask=PartnerAsk(
                    partner_request_id=their_id,
                    bibliographic=Bibliographic(
                        title=bib.title, author=bib.author, record_id=bib.network_record_id
                    ),
                    patron_reference=m.user.ident.value,
                    pickup_location=m.pickup_location,
                    needed_by=m.need_before.date() if m.need_before else None,
                ),
            )
            actor = common.Actor(partner=partner)
            status = S(request.status)
            if status is S.NEW:
                await lending.will_supply(
                    session,
                    actor=actor,
                    request_id=request.id,
                    barcode=item.barcode if item else None,
                )
            elif status in table.CLOSED:
                raise NcipProblem(
                    ProblemType.DUPLICATE_REQUEST,
                    "This request was made before and is closed",
                    element="RequestId/RequestIdentifierValue",
                    value=their_id,
                )
            barcode = await finding.barcode_of(session, request.item_id)
            answer = responses.request_item(
                exchange.parties,
                request_id=m.request_id or Ident(their_id, agency=exchange.caller.agency_id),
                item_id=Ident(barcode, agency=own) if barcode else None,
                user_id=m.user.ident,
                request_type=m.request_type,
                request_scope=m.request_scope,
            )
            return answer, request

        return await self._run(exchange, key, step)

    # ---- CheckOutItem ------------------------------------------------------------------

    async def check_out_item(self, exchange: Exchange) -> bytes:
        m = exchange.message
        assert isinstance(m, messages.CheckOutItem)
        key = once.digest("CheckOutItem", rid(m.request_id), m.item_id.value, m.user.ident.value)

        async def step(session: AsyncSession, partner: Partner, own: str) -> Served:
            item = await finding.item_by_id(session, m.item_id)
            if m.request_id is not None:
                request = await finding.by_request_id(
                    session, partner_id=partner.id, ident=m.request_id, own_code=own
                )
            else:
                request = await finding.by_item(
                    session,
                    partner_id=partner.id,
                    item_id=item.id,
                    statuses=table.BEFORE_SHIPPING | OUT,
                )
            if request is None:
                if not await free_on_shelf(session, [item]):
                    raise NcipProblem(
                        ProblemType.RESOURCE_CANNOT_BE_PROVIDED,
                        "The item is not free to lend now",
                        element="ItemId/ItemIdentifierValue",
                        value=m.item_id.value,
                    )
                request = await finding.receive_for(session, partner, m, item)
            request = await common.lock_lending(session, request.id)
            if not (S(request.status) in OUT and request.item_id == item.id):
                if request.patron_reference is None:
                    request.patron_reference = m.user.ident.value[:128]
                await lending_loans.ship(
                    session,
                    actor=common.Actor(partner=partner),
                    request_id=request.id,
                    barcode=item.barcode,
                )
            assert request.due_at is not None
            answer = responses.check_out_item(
                exchange.parties,
                item_id=Ident(item.barcode, agency=own),
                user_id=m.user.ident,
                due=request.due_at,
                renewals=request.renewals,
            )
            return answer, request

        return await self._run(exchange, key, step)

    # ---- CheckInItem -------------------------------------------------------------------

    async def check_in_item(self, exchange: Exchange) -> bytes:
        m = exchange.message
        assert isinstance(m, messages.CheckInItem)
        key = once.digest("CheckInItem", rid(m.request_id), m.item_id.value)

        async def step(session: AsyncSession, partner: Partner, own: str) -> Served:
            item = await finding.item_by_id(session, m.item_id)
            if m.request_id is not None:
                request = await finding.by_request_id(
                    session, partner_id=partner.id, ident=m.request_id, own_code=own
                )
            else:
                request = await finding.by_item(
                    session, partner_id=partner.id, item_id=item.id, statuses=table.AT_PARTNER
                ) or await finding.by_item(session, partner_id=partner.id, item_id=item.id)
            if request is None or request.item_id != item.id:
                raise NcipProblem(
                    ProblemType.ITEM_NOT_CHECKED_OUT,
                    "The item is not checked out to this agency",
                    element="ItemId/ItemIdentifierValue",
                    value=m.item_id.value,
                )
            if request.status != S.COMPLETED.value:  # completed before: the same answer
                await lending_loans.check_in(
                    session, actor=common.Actor(partner=partner), request_id=request.id
                )
            answer = responses.check_in_item(
                exchange.parties, item_id=Ident(item.barcode, agency=own), user_id=None
            )
            return answer, request

        return await self._run(exchange, key, step)

    # ---- CancelRequestItem -------------------------------------------------------------

    async def cancel_request_item(self, exchange: Exchange) -> bytes:
        m = exchange.message
        assert isinstance(m, messages.CancelRequestItem)
        key = once.digest(
            "CancelRequestItem", rid(m.request_id), m.item_id.value if m.item_id else None
        )

        async def step(session: AsyncSession, partner: Partner, own: str) -> Served:
            request: LendingRequest | None = None
            if m.request_id is not None:
                request = await finding.by_request_id(
                    session, partner_id=partner.id, ident=m.request_id, own_code=own
                )
            elif m.item_id is not None:
                item = await finding.item_by_id(session, m.item_id)
                request = await finding.by_item(session, partner_id=partner.id, item_id=item.id)
            if request is None:
                raise finding.unknown_request(m.request_id)
            status = S(request.status)
            if status in table.BEFORE_SHIPPING:
                await lending.partner_cancel(
                    session, actor=common.Actor(partner=partner), request_id=request.id
                )
            elif status is not S.CANCELLED:
                raise NcipProblem(
                    ProblemType.REQUEST_ALREADY_PROCESSED,
                    "The item has been shipped; the request cannot be cancelled now",
                    element="RequestId/RequestIdentifierValue" if m.request_id else "ItemId",
                    value=m.request_id.value if m.request_id else None,
                )
            user = m.user.ident if m.user else Ident(request.patron_reference or partner.code)
            answer = responses.cancel_request_item(
                exchange.parties,
                request_id=m.request_id
                or Ident(request.partner_request_id, agency=exchange.caller.agency_id),
                item_id=m.item_id,
                user_id=user,
            )
            return answer, request

        return await self._run(exchange, key, step)

    # ---- RenewItem ---------------------------------------------------------------------

    async def renew_item(self, exchange: Exchange) -> bytes:
        m = exchange.message
        assert isinstance(m, messages.RenewItem)
        desired = m.desired_due.isoformat() if m.desired_due else None
        key = once.digest("RenewItem", m.item_id.value, desired)

        async def step(session: AsyncSession, partner: Partner, own: str) -> Served:
            item = await finding.item_by_id(session, m.item_id)
            request = await finding.by_item(
                session, partner_id=partner.id, item_id=item.id, statuses=OUT
            )
            if request is None:
                raise NcipProblem(
                    ProblemType.ITEM_NOT_CHECKED_OUT,
                    "The item is not checked out to this agency",
                    element="ItemId/ItemIdentifierValue",
                    value=m.item_id.value,
                )
            request = await common.lock_lending(session, request.id)
            if not _already_due(request, m.desired_due):
                await _within_terms(session, request)
                await lending_loans.renew(
                    session,
                    actor=common.Actor(partner=partner),
                    request_id=request.id,
                    due_at=m.desired_due,
                )
            assert request.due_at is not None
            answer = responses.renew_item(
                exchange.parties,
                item_id=Ident(item.barcode, agency=own),
                user_id=m.user.ident if m.user else None,
                due=request.due_at,
                renewals=request.renewals,
            )
            return answer, request

        return await self._run(exchange, key, step)


async def _within_terms(session: AsyncSession, request: LendingRequest) -> None:
    """A broker renews without staff: the loan's terms of use decide how often (Maximum
    Renewals Exceeded beyond them)."""
    loan = await session.get_one(Loan, request.loan_id)
    item = await session.get_one(Item, loan.item_id)
    check_renewal(
        status=LoanStatus(loan.status),
        renewals=loan.renewals,
        renewals_allowed=loan_terms(loan, item).renewals_allowed,
    )


def _already_due(request: LendingRequest, desired: datetime | None) -> bool:
    """The loan runs to the desired date already (a renewal we granted before)."""
    return (
        desired is not None
        and request.status == S.SHIPPED.value
        and request.due_at is not None
        and request.renewals > 0
        and abs((request.due_at - desired).total_seconds()) < 1
    )
