"""The request transition table: every pair not in the table is refused."""

from __future__ import annotations

import itertools

import pytest

from institution_node.domain.requests import (
    ACTIVE,
    CLOSED,
    TRANSITIONS,
    Places,
    RequestEvent,
    RequestKind,
    allowed_events,
    managing_library,
    next_status,
)
from network_common.errors import DomainError, ErrorCode
from network_common.vocabulary import RequestStatus

S, E = RequestStatus, RequestEvent

HAPPY_PATH = [
    (E.ASSIGN_ITEM, S.PICK_FROM_SHELF),
    (E.SEND_IN_TRANSIT, S.IN_TRANSIT),
    (E.RECEIVE_AT_PICKUP, S.ON_HOLD_SHELF),
    (E.LOAN, S.COMPLETED),
]


def test_patron_request_walks_its_whole_life() -> None:
    status = S.PLACED
    for event, expected in HAPPY_PATH:
        status = next_status(RequestKind.PATRON, status, event)
        assert status is expected


@pytest.mark.parametrize("status", [S.PLACED, S.PICK_FROM_SHELF, S.IN_TRANSIT, S.ON_HOLD_SHELF])
def test_cancel_is_allowed_at_every_active_step(status: RequestStatus) -> None:
    assert next_status(RequestKind.PATRON, status, E.CANCEL) is S.CANCELLED


# The legal moves, written out here by hand from DOMAIN §6 and the module's diagram, not
# read from the table under test: a move added to (or changed in) the table fails below.
LEGAL_MOVES: dict[RequestKind, dict[tuple[RequestStatus, RequestEvent], RequestStatus]] = {
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
    # A transit home that arrives is completed; only a cancel cancels it.
    RequestKind.TRANSIT: {
        (S.IN_TRANSIT, E.ARRIVE_HOME): S.COMPLETED,
        (S.IN_TRANSIT, E.CANCEL): S.CANCELLED,
    },
    RequestKind.WORK_ORDER: {
        (S.IN_PROCESS, E.FINISH_WORK): S.COMPLETED,
        (S.IN_PROCESS, E.CANCEL): S.CANCELLED,
    },
}


@pytest.mark.parametrize("kind", list(RequestKind))
def test_the_table_holds_exactly_the_legal_moves(kind: RequestKind) -> None:
    assert dict(TRANSITIONS[kind]) == LEGAL_MOVES[kind]


@pytest.mark.parametrize(
    ("kind", "status", "event", "target"),
    [(k, s, e, t) for k, moves in LEGAL_MOVES.items() for (s, e), t in moves.items()],
)
def test_every_legal_move_is_taken(
    kind: RequestKind, status: RequestStatus, event: RequestEvent, target: RequestStatus
) -> None:
    assert next_status(kind, status, event) is target


def test_the_active_and_closed_sets() -> None:
    # Written out, not derived: a request on the hold shelf is active (the patron's list,
    # the monitor, Network Activity); nothing closed is.
    assert ACTIVE == {S.PLACED, S.PICK_FROM_SHELF, S.IN_TRANSIT, S.ON_HOLD_SHELF, S.IN_PROCESS}
    assert CLOSED == {S.COMPLETED, S.CANCELLED}


ILLEGAL = [
    (kind, status, event)
    for kind in RequestKind
    for status, event in itertools.product(RequestStatus, RequestEvent)
    if (status, event) not in LEGAL_MOVES[kind]
]


@pytest.mark.parametrize(("kind", "status", "event"), ILLEGAL)
def test_every_other_pair_is_an_illegal_transition(
    kind: RequestKind, status: RequestStatus, event: RequestEvent
) -> None:
    with pytest.raises(DomainError) as caught:
        next_status(kind, status, event)
    assert caught.value.code is ErrorCode.ILLEGAL_TRANSITION
    assert status.value.replace("_", " ").lower() in str(caught.value)


def test_closed_requests_accept_nothing() -> None:
    for kind in RequestKind:
        assert allowed_events(kind, S.COMPLETED) == []
        assert allowed_events(kind, S.CANCELLED) == []


def test_hold_shelf_expiry_only_from_the_hold_shelf() -> None:
    assert [s for (s, e) in TRANSITIONS[RequestKind.PATRON] if e is E.EXPIRE] == [S.ON_HOLD_SHELF]


OWNER, PICKUP, RETURNED_AT = 1, 2, 3


@pytest.mark.parametrize(
    ("status", "places", "managing"),
    [
        (S.PLACED, Places(None, PICKUP, None), PICKUP),
        (S.PICK_FROM_SHELF, Places(OWNER, PICKUP, None), OWNER),
        (S.IN_TRANSIT, Places(OWNER, PICKUP, OWNER), OWNER),
        (S.IN_TRANSIT, Places(OWNER, PICKUP, RETURNED_AT), RETURNED_AT),
        (S.ON_HOLD_SHELF, Places(OWNER, PICKUP, None), PICKUP),
        (S.ON_HOLD_SHELF, Places(OWNER, None, None), None),  # on a shelf at another member
        (S.COMPLETED, Places(OWNER, PICKUP, None), OWNER),
    ],
)
def test_managing_library_at_each_step(
    status: RequestStatus, places: Places, managing: int | None
) -> None:
    assert managing_library(status, places) == managing
