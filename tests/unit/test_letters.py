"""Letter ownership (DOMAIN §7): every letter has exactly one owner rule."""

from __future__ import annotations

import pytest

from institution_node.domain.letters import OWNER_OF, Letter, LetterOwner, letter_owner_library

PLACES = {"item_owner": 1, "pickup_library": 2, "desk_library": 3, "fee_owner": 4}


def test_every_letter_has_an_owner() -> None:
    assert set(OWNER_OF) == set(Letter)


@pytest.mark.parametrize(
    ("letter", "owner"),
    [
        (Letter.LOAN_RECEIPT, 2),
        (Letter.RETURN_RECEIPT, 2),
        (Letter.BORROWED_BY, 2),
        (Letter.ON_HOLD_SHELF, 1),
        (Letter.OVERDUE_NOTICE, 1),
        (Letter.CANCEL_REQUEST, 1),
        (Letter.FINE_FEE_PAYMENT_RECEIPT, 3),
        (Letter.REGISTRATION, 3),
        (Letter.FINES_FEES_NOTIFICATION, 4),
        (Letter.GENERAL_NOTICE, None),
    ],
)
def test_owner_in_context(letter: Letter, owner: int | None) -> None:
    assert letter_owner_library(letter, **PLACES) == owner


def test_institution_owned_fee_letter_belongs_to_the_institution() -> None:
    assert OWNER_OF[Letter.FINES_FEES_NOTIFICATION] is LetterOwner.FEE_OWNER
    assert letter_owner_library(Letter.FINES_FEES_NOTIFICATION, fee_owner=None) is None
