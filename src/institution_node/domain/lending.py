"""The lending request state machine (supplier side, DOMAIN §8) as data.

A lending request is a partner's request for one of our items, arriving over a protocol
(ISO 18626 from a peer, NCIP from a broker) or typed in by staff::

    NEW ──WILL_SUPPLY──▶ WILL_SUPPLY ──SHIP──▶ SHIPPED ──PARTNER_RETURNED──▶ RETURNED
     │  ╲                   │                  │   ▲                            │
     │   ADD_CONDITIONS     ADD_CONDITIONS     │   └─APPROVE/REJECT_RENEWAL─┐   CHECK_IN
     │        ▼             ▼                  PARTNER_RENEW_REQUEST        │   ▼
     │     CONDITIONAL ──PARTNER_ACCEPTED_CONDITIONS──▶ WILL_SUPPLY      RENEW_REQUESTED
     │        │ CONDITIONS_EXPIRED / UNFILL ──▶ UNFILLED                COMPLETED
     │        └ PARTNER_CANCEL ──▶ CANCELLED (the borrower declined the conditions)
     ├─UNFILL──▶ UNFILLED          (an unfilled answer with a reason goes to the borrower)
     ├─PARTNER_CANCEL──▶ CANCELLED (before shipping only; after it the answer is "no")
     └─SHIP──▶ SHIPPED             (shipping at once, without a will-supply step)
    SHIPPED / RENEW_REQUESTED / RETURNED ──DECLARE_LOST──▶ LOST_AND_FEE_COMMUNICATED
    LOST_AND_FEE_COMMUNICATED ──COMPLETE (payment received) / CHECK_IN (found)──▶ COMPLETED

*Shipped* means the item is loaned to the partner's institution (a patron record that
stands for the partner) with a due date; *check in* ends that loan. An item that comes
back without a "shipped return" message is checked in straight from SHIPPED.

Some staff actions change no state (a general message to the partner, a note, a recall,
assignment): they are :data:`ANNOTATIONS`, allowed while the request is open.
"""

from __future__ import annotations

from collections.abc import Mapping
from enum import StrEnum

from network_common.errors import Conflict, ErrorCode


class LendingStatus(StrEnum):
    NEW = "NEW"
    WILL_SUPPLY = "WILL_SUPPLY"
    CONDITIONAL = "CONDITIONAL"  # conditions sent; waiting for the borrower until reply-by
    SHIPPED = "SHIPPED"  # loaned to the partner's institution
    RENEW_REQUESTED = "RENEW_REQUESTED"
    RETURNED = "RETURNED"  # the borrower shipped it back
    COMPLETED = "COMPLETED"
    UNFILLED = "UNFILLED"
    CANCELLED = "CANCELLED"
    LOST_AND_FEE_COMMUNICATED = "LOST_AND_FEE_COMMUNICATED"


class LendingEvent(StrEnum):
    WILL_SUPPLY = "WILL_SUPPLY"
    ADD_CONDITIONS = "ADD_CONDITIONS"
    PARTNER_ACCEPTED_CONDITIONS = "PARTNER_ACCEPTED_CONDITIONS"
    CONDITIONS_EXPIRED = "CONDITIONS_EXPIRED"
    UNFILL = "UNFILL"
    SHIP = "SHIP"
    PARTNER_CANCEL = "PARTNER_CANCEL"
    PARTNER_RENEW_REQUEST = "PARTNER_RENEW_REQUEST"
    APPROVE_RENEWAL = "APPROVE_RENEWAL"
    REJECT_RENEWAL = "REJECT_RENEWAL"
    PARTNER_RETURNED = "PARTNER_RETURNED"
    CHECK_IN = "CHECK_IN"
    DECLARE_LOST = "DECLARE_LOST"
    COMPLETE = "COMPLETE"


S, E = LendingStatus, LendingEvent

TRANSITIONS: Mapping[tuple[LendingStatus, LendingEvent], LendingStatus] = {
    (S.NEW, E.WILL_SUPPLY): S.WILL_SUPPLY,
    (S.NEW, E.ADD_CONDITIONS): S.CONDITIONAL,
    (S.NEW, E.UNFILL): S.UNFILLED,
    (S.NEW, E.SHIP): S.SHIPPED,
    (S.NEW, E.PARTNER_CANCEL): S.CANCELLED,
    (S.WILL_SUPPLY, E.ADD_CONDITIONS): S.CONDITIONAL,
    (S.WILL_SUPPLY, E.SHIP): S.SHIPPED,
    (S.WILL_SUPPLY, E.UNFILL): S.UNFILLED,
    (S.WILL_SUPPLY, E.PARTNER_CANCEL): S.CANCELLED,
    (S.CONDITIONAL, E.PARTNER_ACCEPTED_CONDITIONS): S.WILL_SUPPLY,
    (S.CONDITIONAL, E.CONDITIONS_EXPIRED): S.UNFILLED,
    (S.CONDITIONAL, E.UNFILL): S.UNFILLED,
    (S.CONDITIONAL, E.PARTNER_CANCEL): S.CANCELLED,
    (S.SHIPPED, E.PARTNER_RENEW_REQUEST): S.RENEW_REQUESTED,
    (S.SHIPPED, E.PARTNER_RETURNED): S.RETURNED,
    (S.SHIPPED, E.CHECK_IN): S.COMPLETED,
    (S.SHIPPED, E.DECLARE_LOST): S.LOST_AND_FEE_COMMUNICATED,
    (S.RENEW_REQUESTED, E.APPROVE_RENEWAL): S.SHIPPED,
    (S.RENEW_REQUESTED, E.REJECT_RENEWAL): S.SHIPPED,
    (S.RENEW_REQUESTED, E.PARTNER_RETURNED): S.RETURNED,
    (S.RENEW_REQUESTED, E.CHECK_IN): S.COMPLETED,
    (S.RENEW_REQUESTED, E.DECLARE_LOST): S.LOST_AND_FEE_COMMUNICATED,
    (S.RETURNED, E.CHECK_IN): S.COMPLETED,
    (S.RETURNED, E.DECLARE_LOST): S.LOST_AND_FEE_COMMUNICATED,
    (S.LOST_AND_FEE_COMMUNICATED, E.COMPLETE): S.COMPLETED,
    (S.LOST_AND_FEE_COMMUNICATED, E.CHECK_IN): S.COMPLETED,
}

CLOSED = frozenset({S.COMPLETED, S.UNFILLED, S.CANCELLED})
ACTIVE = frozenset(LendingStatus) - CLOSED
#: The item is at the partner (loaned to its institution).
AT_PARTNER = frozenset({S.SHIPPED, S.RENEW_REQUESTED, S.RETURNED, S.LOST_AND_FEE_COMMUNICATED})
#: Before the item left: a cancellation from the borrower is accepted.
BEFORE_SHIPPING = frozenset({S.NEW, S.WILL_SUPPLY, S.CONDITIONAL})


class LendingAction(StrEnum):
    """What staff may do to a lending request (the API lists those allowed now)."""

    WILL_SUPPLY = "WILL_SUPPLY"
    ADD_CONDITIONS = "ADD_CONDITIONS"
    UNFILL = "UNFILL"
    SHIP = "SHIP"
    APPROVE_RENEWAL = "APPROVE_RENEWAL"
    REJECT_RENEWAL = "REJECT_RENEWAL"
    CHECK_IN = "CHECK_IN"
    DECLARE_LOST = "DECLARE_LOST"
    COMPLETE = "COMPLETE"
    RECALL = "RECALL"
    SEND_MESSAGE = "SEND_MESSAGE"
    ADD_NOTE = "ADD_NOTE"
    ASSIGN = "ASSIGN"
    DISMISS_ALERTS = "DISMISS_ALERTS"


#: Staff actions that are transitions, by the event they apply.
_TRANSITION_ACTIONS: Mapping[LendingAction, LendingEvent] = {
    LendingAction.WILL_SUPPLY: E.WILL_SUPPLY,
    LendingAction.ADD_CONDITIONS: E.ADD_CONDITIONS,
    LendingAction.UNFILL: E.UNFILL,
    LendingAction.SHIP: E.SHIP,
    LendingAction.APPROVE_RENEWAL: E.APPROVE_RENEWAL,
    LendingAction.REJECT_RENEWAL: E.REJECT_RENEWAL,
    LendingAction.CHECK_IN: E.CHECK_IN,
    LendingAction.DECLARE_LOST: E.DECLARE_LOST,
    LendingAction.COMPLETE: E.COMPLETE,
}
#: Actions that change no state, and the states they are allowed in.
ANNOTATIONS: Mapping[LendingAction, frozenset[LendingStatus]] = {
    LendingAction.RECALL: frozenset({S.SHIPPED, S.RENEW_REQUESTED}),
    LendingAction.SEND_MESSAGE: ACTIVE,
    LendingAction.ADD_NOTE: frozenset(LendingStatus),
    LendingAction.ASSIGN: ACTIVE,
    LendingAction.DISMISS_ALERTS: frozenset(LendingStatus),
}


def next_status(status: LendingStatus, event: LendingEvent) -> LendingStatus:
    """The state after ``event``, or ILLEGAL_TRANSITION naming what was refused."""
    target = TRANSITIONS.get((status, event))
    if target is None:
        raise Conflict(
            f"A lending request that is {_words(status)} cannot take the step {_words(event)}",
            code=ErrorCode.ILLEGAL_TRANSITION,
        )
    return target


def allowed_actions(status: LendingStatus) -> list[LendingAction]:
    """The staff actions open in ``status``, in the enum's order."""
    return [
        action
        for action in LendingAction
        if (action in _TRANSITION_ACTIONS and (status, _TRANSITION_ACTIONS[action]) in TRANSITIONS)
        or status in ANNOTATIONS.get(action, frozenset())
    ]


def _words(value: StrEnum) -> str:
    return value.value.replace("_", " ").lower()
