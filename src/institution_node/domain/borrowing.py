"""The borrowing request state machine (requester side, DOMAIN §8) as data, and its rules.

A borrowing request asks partners, one after the other along its rota, to lend an item to
one of our patrons. Creating it makes a suppressed temporary bib, holding and item and an
item-level hold request on that item, so receiving, the hold shelf, the loan to the patron
and the return all go through the node's ordinary request and circulation machinery::

    READY_TO_SEND ──SEND──▶ REQUEST_SENT ──PARTNER_WILL_SUPPLY──▶ WILL_SUPPLY
                               │    ▲  ╲                            │
          PARTNER_CONDITIONAL  │    │   ADVANCE_ROTA (unfilled,     │ PARTNER_SHIPPED
                 ▼             │    │   rejected, declined: next     ▼
            CONDITIONAL ──ACCEPT_CONDITIONS──▶ WILL_SUPPLY       SHIPPED ──RECEIVE──▶ RECEIVED
                               │   partner)                                           │
                 ROTA_EXHAUSTED ▼                                        LOAN_TO_PATRON │
                          END_OF_ROTA ──RESEND──▶ READY_TO_SEND                        ▼
    LOANED_TO_PATRON ──REQUEST_RENEWAL──▶ RENEW_REQUESTED ──PARTNER_RENEWED──▶ RENEWED_BY_PARTNER
          │  (AUTO_REJECT_RENEWAL past 42 days)    └──PARTNER_RENEWAL_REJECTED──▶ RENEWAL_REJECTED
          └──RETURN_BY_PATRON──▶ RETURNED_BY_PATRON ──SHIP_RETURN──▶ RETURNED_TO_PARTNER
                                                   PARTNER_CHECKED_IN ──▶ COMPLETED
    CANCEL: READY_TO_SEND / END_OF_ROTA ──▶ CANCELLED (nothing was sent, or nobody holds it);
            REQUEST_SENT / WILL_SUPPLY / CONDITIONAL ──▶ CANCEL_REQUESTED, then the partner's
            answer: PARTNER_CANCEL_ACCEPTED ──▶ CANCELLED, or it goes on (refused / shipped).
            Once shipped a request cannot be cancelled (ILLEGAL_TRANSITION).
    Lost: REPORT_LOST (we tell the partner) ──▶ REPORTED_LOST; PARTNER_DECLARED_LOST (the
          partner charges it) ──▶ DECLARED_LOST_BY_PARTNER; COMPLETE once paid ──▶ COMPLETED.

RENEWED_BY_PARTNER and RENEWAL_REJECTED are loan states like LOANED_TO_PATRON: the patron
still has the item and may ask again (within the 42-day limit) or return it.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import datetime, timedelta
from enum import StrEnum

from network_common.errors import Conflict, ErrorCode
from network_common.vocabulary import BorrowingFormat, BorrowingStatus

#: DOMAIN §8: renewals may not take a borrowed item past this many days in total.
MAX_LOAN_DAYS = 42


class BorrowingEvent(StrEnum):
    SEND = "SEND"
    PARTNER_WILL_SUPPLY = "PARTNER_WILL_SUPPLY"
    PARTNER_CONDITIONAL = "PARTNER_CONDITIONAL"
    ACCEPT_CONDITIONS = "ACCEPT_CONDITIONS"
    ADVANCE_ROTA = "ADVANCE_ROTA"
    ROTA_EXHAUSTED = "ROTA_EXHAUSTED"
    RESEND = "RESEND"
    CANCEL = "CANCEL"
    PARTNER_CANCEL_ACCEPTED = "PARTNER_CANCEL_ACCEPTED"
    PARTNER_CANCEL_REFUSED = "PARTNER_CANCEL_REFUSED"
    PARTNER_SHIPPED = "PARTNER_SHIPPED"
    RECEIVE = "RECEIVE"
    LOAN_TO_PATRON = "LOAN_TO_PATRON"
    REQUEST_RENEWAL = "REQUEST_RENEWAL"
    AUTO_REJECT_RENEWAL = "AUTO_REJECT_RENEWAL"
    PARTNER_RENEWED = "PARTNER_RENEWED"
    PARTNER_RENEWAL_REJECTED = "PARTNER_RENEWAL_REJECTED"
    RETURN_BY_PATRON = "RETURN_BY_PATRON"
    SHIP_RETURN = "SHIP_RETURN"
    PARTNER_CHECKED_IN = "PARTNER_CHECKED_IN"
    REPORT_LOST = "REPORT_LOST"
    PARTNER_DECLARED_LOST = "PARTNER_DECLARED_LOST"
    COMPLETE = "COMPLETE"


__all__ = ["BorrowingFormat", "BorrowingStatus"]  # the wire's, kept in network_common

S, E = BorrowingStatus, BorrowingEvent

#: Waiting for a partner's answer: the rota may move on from here.
ASKING = frozenset({S.REQUEST_SENT, S.WILL_SUPPLY, S.CONDITIONAL})
#: The patron has the item.
ON_LOAN = frozenset(
    {S.LOANED_TO_PATRON, S.RENEW_REQUESTED, S.RENEWED_BY_PARTNER, S.RENEWAL_REJECTED}
)
#: Lost, one way or the other.
LOST = frozenset({S.REPORTED_LOST, S.DECLARED_LOST_BY_PARTNER})


def _build() -> dict[tuple[BorrowingStatus, BorrowingEvent], BorrowingStatus]:
    table: dict[tuple[BorrowingStatus, BorrowingEvent], BorrowingStatus] = {
        (S.READY_TO_SEND, E.SEND): S.REQUEST_SENT,
        (S.READY_TO_SEND, E.CANCEL): S.CANCELLED,
        (S.REQUEST_SENT, E.PARTNER_WILL_SUPPLY): S.WILL_SUPPLY,
        (S.REQUEST_SENT, E.PARTNER_CONDITIONAL): S.CONDITIONAL,
        (S.WILL_SUPPLY, E.PARTNER_CONDITIONAL): S.CONDITIONAL,
        (S.CONDITIONAL, E.ACCEPT_CONDITIONS): S.WILL_SUPPLY,
        (S.CONDITIONAL, E.PARTNER_WILL_SUPPLY): S.WILL_SUPPLY,
        (S.END_OF_ROTA, E.RESEND): S.READY_TO_SEND,
        (S.END_OF_ROTA, E.CANCEL): S.CANCELLED,
        (S.CANCEL_REQUESTED, E.PARTNER_CANCEL_ACCEPTED): S.CANCELLED,
        # The partner said no (it goes on supplying) or shipped meanwhile.
        (S.CANCEL_REQUESTED, E.PARTNER_CANCEL_REFUSED): S.WILL_SUPPLY,
        (S.CANCEL_REQUESTED, E.PARTNER_SHIPPED): S.SHIPPED,
        (S.SHIPPED, E.RECEIVE): S.RECEIVED,
        (S.RECEIVED, E.LOAN_TO_PATRON): S.LOANED_TO_PATRON,
        # Never picked up (hold shelf expired, cancelled at the desk): it goes back.
        (S.RECEIVED, E.SHIP_RETURN): S.RETURNED_TO_PARTNER,
        (S.RENEW_REQUESTED, E.PARTNER_RENEWED): S.RENEWED_BY_PARTNER,
        (S.RENEW_REQUESTED, E.PARTNER_RENEWAL_REJECTED): S.RENEWAL_REJECTED,
        (S.RETURNED_BY_PATRON, E.SHIP_RETURN): S.RETURNED_TO_PARTNER,
        (S.RETURNED_TO_PARTNER, E.PARTNER_CHECKED_IN): S.COMPLETED,
        (S.REPORTED_LOST, E.PARTNER_DECLARED_LOST): S.DECLARED_LOST_BY_PARTNER,
        (S.REPORTED_LOST, E.COMPLETE): S.COMPLETED,
        (S.DECLARED_LOST_BY_PARTNER, E.COMPLETE): S.COMPLETED,
        (S.DECLARED_LOST_BY_PARTNER, E.PARTNER_CHECKED_IN): S.COMPLETED,
    }
    for asking in ASKING:
        table[(asking, E.PARTNER_SHIPPED)] = S.SHIPPED
        table[(asking, E.ADVANCE_ROTA)] = S.REQUEST_SENT
        table[(asking, E.ROTA_EXHAUSTED)] = S.END_OF_ROTA
        table[(asking, E.CANCEL)] = S.CANCEL_REQUESTED
    for loaned in ON_LOAN:
        table[(loaned, E.RETURN_BY_PATRON)] = S.RETURNED_BY_PATRON
        if loaned is not S.RENEW_REQUESTED:
            table[(loaned, E.REQUEST_RENEWAL)] = S.RENEW_REQUESTED
            table[(loaned, E.AUTO_REJECT_RENEWAL)] = S.RENEWAL_REJECTED
    for holding in (S.SHIPPED, S.RECEIVED, *ON_LOAN, S.RETURNED_BY_PATRON):
        table[(holding, E.REPORT_LOST)] = S.REPORTED_LOST
    for with_us in (S.SHIPPED, S.RECEIVED, *ON_LOAN, S.RETURNED_BY_PATRON, S.RETURNED_TO_PARTNER):
        table[(with_us, E.PARTNER_DECLARED_LOST)] = S.DECLARED_LOST_BY_PARTNER
    # Found again before it was paid for: an ordinary return (seed 003).
    for lost in LOST:
        table[(lost, E.RETURN_BY_PATRON)] = S.RETURNED_BY_PATRON
    return table


TRANSITIONS: Mapping[tuple[BorrowingStatus, BorrowingEvent], BorrowingStatus] = _build()

CLOSED = frozenset({S.COMPLETED, S.CANCELLED})
ACTIVE = frozenset(BorrowingStatus) - CLOSED


class BorrowingAction(StrEnum):
    """What staff may do to a borrowing request (the API lists those allowed now)."""

    SEND = "SEND"
    CANCEL = "CANCEL"
    MOVE_TO_NEXT_PARTNER = "MOVE_TO_NEXT_PARTNER"  # "Reject": the rota moves on
    ACCEPT_CONDITIONS = "ACCEPT_CONDITIONS"
    DECLINE_CONDITIONS = "DECLINE_CONDITIONS"
    RESEND = "RESEND"
    RECEIVE = "RECEIVE"
    LOAN_TO_PATRON = "LOAN_TO_PATRON"  # the desk's loan of the temporary item
    REQUEST_RENEWAL = "REQUEST_RENEWAL"
    RETURN_BY_PATRON = "RETURN_BY_PATRON"  # the desk's return of it
    RETURN_TO_PARTNER = "RETURN_TO_PARTNER"
    REPORT_LOST = "REPORT_LOST"
    DECLARE_LOST_BY_PARTNER = "DECLARE_LOST_BY_PARTNER"
    COMPLETE = "COMPLETE"
    SEND_MESSAGE = "SEND_MESSAGE"
    ADD_NOTE = "ADD_NOTE"
    QUERY_PATRON = "QUERY_PATRON"
    ASSIGN = "ASSIGN"


_TRANSITION_ACTIONS: Mapping[BorrowingAction, tuple[BorrowingEvent, ...]] = {
    BorrowingAction.SEND: (E.SEND,),
    BorrowingAction.CANCEL: (E.CANCEL,),
    BorrowingAction.MOVE_TO_NEXT_PARTNER: (E.ADVANCE_ROTA, E.ROTA_EXHAUSTED),
    BorrowingAction.ACCEPT_CONDITIONS: (E.ACCEPT_CONDITIONS,),
    # Declining conditions moves the rota on, like MOVE_TO_NEXT_PARTNER (CONDITIONAL only).
    BorrowingAction.DECLINE_CONDITIONS: (E.ADVANCE_ROTA, E.ROTA_EXHAUSTED),
    BorrowingAction.RESEND: (E.RESEND,),
    BorrowingAction.RECEIVE: (E.RECEIVE,),
    BorrowingAction.LOAN_TO_PATRON: (E.LOAN_TO_PATRON,),
    BorrowingAction.REQUEST_RENEWAL: (E.REQUEST_RENEWAL,),
    BorrowingAction.RETURN_BY_PATRON: (E.RETURN_BY_PATRON,),
    BorrowingAction.RETURN_TO_PARTNER: (E.SHIP_RETURN,),
    BorrowingAction.REPORT_LOST: (E.REPORT_LOST,),
    # Staff record the partner's declaration when it came by another channel (e-mail).
    BorrowingAction.DECLARE_LOST_BY_PARTNER: (E.PARTNER_DECLARED_LOST,),
    BorrowingAction.COMPLETE: (E.COMPLETE,),
}
#: Transition actions offered only in some of the states their events allow.
_ONLY_IN: Mapping[BorrowingAction, frozenset[BorrowingStatus]] = {
    BorrowingAction.DECLINE_CONDITIONS: frozenset({S.CONDITIONAL}),
}
ANNOTATIONS: Mapping[BorrowingAction, frozenset[BorrowingStatus]] = {
    BorrowingAction.SEND_MESSAGE: ACTIVE - {S.READY_TO_SEND, S.END_OF_ROTA},
    BorrowingAction.ADD_NOTE: frozenset(BorrowingStatus),
    BorrowingAction.QUERY_PATRON: ACTIVE,
    BorrowingAction.ASSIGN: ACTIVE,
}


def next_status(status: BorrowingStatus, event: BorrowingEvent) -> BorrowingStatus:
    """The state after ``event``, or ILLEGAL_TRANSITION naming what was refused."""
    target = TRANSITIONS.get((status, event))
    if target is None:
        raise Conflict(
            f"A borrowing request that is {_words(status)} cannot take the step {_words(event)}",
            code=ErrorCode.ILLEGAL_TRANSITION,
        )
    return target


def allowed_actions(status: BorrowingStatus) -> list[BorrowingAction]:
    """The staff actions open in ``status``, in the enum's order."""
    return [
        action
        for action in BorrowingAction
        if (
            any((status, e) in TRANSITIONS for e in _TRANSITION_ACTIONS.get(action, ()))
            and status in _ONLY_IN.get(action, frozenset(BorrowingStatus))
        )
        or status in ANNOTATIONS.get(action, frozenset())
    ]


def next_partner(rota: Sequence[int], position: int, *, tried: frozenset[int]) -> int | None:
    """The rota position to ask after ``position`` (skipping partners already asked), or
    ``None`` at the end of the rota."""
    for candidate in range(position + 1, len(rota)):
        if rota[candidate] not in tried:
            return candidate
    return None


def renewal_allowed(
    *, loan_started: datetime, wanted_due: datetime, max_days: int = MAX_LOAN_DAYS
) -> bool:
    """Whether a renewal to ``wanted_due`` keeps the whole loan within ``max_days`` of the
    day the partner lent the item (DOMAIN §8: beyond 42 days in total it is refused)."""
    return wanted_due <= loan_started + timedelta(days=max_days)


def wanted_due_date(
    *, loan_started: datetime, first_due: datetime, current_due: datetime
) -> datetime:
    """The due date a renewal asks for: the current one plus the partner's first loan
    period (at least a day)."""
    period = max(first_due - loan_started, timedelta(days=1))
    return current_due + period


def _words(value: StrEnum) -> str:
    return value.value.replace("_", " ").lower()
