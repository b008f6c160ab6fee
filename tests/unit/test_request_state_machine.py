"""The request transition table: every pair not in the table is refused."""

from __future__ import annotations

import itertools

import pytest

from institution_node.domain.requests import (
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


ILLEGAL = [
    (kind, status, event)
    for kind in RequestKind
    for status, event in itertools.product(RequestStatus, RequestEvent)
    if (status, event) not in TRANSITIONS[kind]
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
