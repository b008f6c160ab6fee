"""The request state machine (DOMAIN §6, §7) as data.

Patron requests (hold requests, title or item level)::

    PLACED ──ASSIGN_ITEM──▶ PICK_FROM_SHELF ──SEND_IN_TRANSIT──▶ IN_TRANSIT
      │                        │                                   │
      │                        └──SHELVE_FOR_PICKUP──▶ ON_HOLD_SHELF ◀──RECEIVE_AT_PICKUP┘
      │                                                │
      ├─TAKE_OVER_IN_TRANSIT──▶ IN_TRANSIT             ├──LOAN──▶ COMPLETED
      └─TAKE_OVER_AT_PICKUP──▶ ON_HOLD_SHELF           └──EXPIRE──▶ CANCELLED
    CANCEL: from every active state ──▶ CANCELLED
    PICK_FROM_SHELF ──RELEASE_ITEM──▶ PLACED  (the chosen copy was loaned at a desk first)

``TAKE_OVER_*``: a returned item is taken by the next request in the queue (returned at
the request's pickup library: straight to the hold shelf; elsewhere: in transit there).

Non-patron requests are not restricted by library independence (DOMAIN §7):
``TRANSIT`` (an item travelling home to be reshelved) and ``WORK_ORDER``.

Every state names the library *managing* the request at that step
(:func:`managing_library`); the visibility policy uses it.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from enum import StrEnum

from network_common.errors import Conflict, ErrorCode
from network_common.vocabulary import RequestStatus


class RequestKind(StrEnum):
    PATRON = "PATRON"
    TRANSIT = "TRANSIT"  # transit for reshelving: the item goes home
    WORK_ORDER = "WORK_ORDER"


class RequestLevel(StrEnum):
    TITLE = "TITLE"
    ITEM = "ITEM"


class RequestEvent(StrEnum):
    ASSIGN_ITEM = "ASSIGN_ITEM"
    SEND_IN_TRANSIT = "SEND_IN_TRANSIT"
    SHELVE_FOR_PICKUP = "SHELVE_FOR_PICKUP"
    RECEIVE_AT_PICKUP = "RECEIVE_AT_PICKUP"
    TAKE_OVER_IN_TRANSIT = "TAKE_OVER_IN_TRANSIT"
    TAKE_OVER_AT_PICKUP = "TAKE_OVER_AT_PICKUP"
    LOAN = "LOAN"
    EXPIRE = "EXPIRE"
    CANCEL = "CANCEL"
    # The chosen copy left the shelf another way (loaned at a desk): wait for a copy again.
    RELEASE_ITEM = "RELEASE_ITEM"
    ARRIVE_HOME = "ARRIVE_HOME"  # non-patron transit received at its destination
    FINISH_WORK = "FINISH_WORK"


S, E = RequestStatus, RequestEvent

TRANSITIONS: Mapping[RequestKind, Mapping[tuple[RequestStatus, RequestEvent], RequestStatus]] = {
    RequestKind.PATRON: {
        (S.PLACED, E.ASSIGN_ITEM): S.PICK_FROM_SHELF,
        (S.PLACED, E.TAKE_OVER_IN_TRANSIT): S.IN_TRANSIT,
        (S.PLACED, E.TAKE_OVER_AT_PICKUP): S.ON_HOLD_SHELF,
        (S.PLACED, E.CANCEL): S.CANCELLED,
        (S.PICK_FROM_SHELF, E.SEND_IN_TRANSIT): S.IN_TRANSIT,
        (S.PICK_FROM_SHELF, E.SHELVE_FOR_PICKUP): S.ON_HOLD_SHELF,
        (S.PICK_FROM_SHELF, E.CANCEL): S.CANCELLED,
        (S.PICK_FROM_SHELF, E.RELEASE_ITEM): S.PLACED,
        (S.IN_TRANSIT, E.RECEIVE_AT_PICKUP): S.ON_HOLD_SHELF,
        (S.IN_TRANSIT, E.CANCEL): S.CANCELLED,
        (S.ON_HOLD_SHELF, E.LOAN): S.COMPLETED,
        (S.ON_HOLD_SHELF, E.EXPIRE): S.CANCELLED,
        (S.ON_HOLD_SHELF, E.CANCEL): S.CANCELLED,
    },
    RequestKind.TRANSIT: {
        (S.IN_TRANSIT, E.ARRIVE_HOME): S.COMPLETED,
        (S.IN_TRANSIT, E.CANCEL): S.CANCELLED,
    },
    RequestKind.WORK_ORDER: {
        (S.IN_PROCESS, E.FINISH_WORK): S.COMPLETED,
        (S.IN_PROCESS, E.CANCEL): S.CANCELLED,
    },
}

ACTIVE = frozenset({S.PLACED, S.PICK_FROM_SHELF, S.IN_TRANSIT, S.ON_HOLD_SHELF, S.IN_PROCESS})
CLOSED = frozenset({S.COMPLETED, S.CANCELLED})
# Where the item is physically away from its shelf for the request: cancelling sends it home.
ITEM_MOVING = frozenset({S.IN_TRANSIT, S.ON_HOLD_SHELF})

EXPIRY_REASON = "Hold shelf period expired"


def next_status(kind: RequestKind, status: RequestStatus, event: RequestEvent) -> RequestStatus:
    """The state after ``event``, or ILLEGAL_TRANSITION naming what was refused."""
    target = TRANSITIONS[kind].get((status, event))
    if target is None:
        raise Conflict(
            f"A {kind.value.lower().replace('_', ' ')} request that is "
            f"{status.value.replace('_', ' ').lower()} cannot take the action "
            f"{event.value.replace('_', ' ').lower()}",
            code=ErrorCode.ILLEGAL_TRANSITION,
        )
    return target


def allowed_events(kind: RequestKind, status: RequestStatus) -> list[RequestEvent]:
    """Events the table accepts in ``status`` (for the API's ``allowedActions``)."""
    return [event for (state, event) in TRANSITIONS[kind] if state is status]


@dataclass(frozen=True, slots=True)
class Places:
    """Library attributes of a request; ``None`` for a library of another institution."""

    item_library: int | None  # owner of the chosen item (None: not itemized yet)
    pickup_library: int | None  # None: pickup at another member
    transit_from: int | None  # where a moving item set off from


def managing_library(status: RequestStatus, places: Places) -> int | None:
    """The library handling the request at this step (``None``: none of ours right now).

    Waiting for an item: the pickup library (it serves the patron); item chosen: its owner
    (it picks the item); moving: the library it left from; on the hold shelf: the pickup
    library; closed: the owner of the item that fulfilled it (or could have).
    """
    if status is S.PLACED:
        return places.item_library if places.item_library is not None else places.pickup_library
    if status in (S.PICK_FROM_SHELF, S.IN_PROCESS):
        return places.item_library
    if status is S.IN_TRANSIT:
        return places.transit_from if places.transit_from is not None else places.item_library
    if status is S.ON_HOLD_SHELF:
        return places.pickup_library
    return places.item_library
