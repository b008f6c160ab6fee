"""Letter ownership (DOMAIN §7): every letter has exactly one owner rule."""

from __future__ import annotations

import pytest

from institution_node.domain.letters import OWNER_OF, Letter, LetterOwner, letter_owner_library

PLACES = {"item_owner": 1, "pickup_library": 2, "desk_library": 3, "fee_owner": 4}


def test_every_letter_has_an_owner() -> None:
    assert set(OWNER_OF) == set(Letter)


ITEM, PICKUP, DESK, FEE, INSTITUTION = 1, 2, 3, 4, None
# Every letter's owner, written out from DOMAIN §7 "Letter ownership" by name (not read from
# the table under test): a letter moved to another owner fails here.
EXPECTED_OWNERS: dict[str, int | None] = {
    "Cancel Request": ITEM,
    "Document Delivery Notification": ITEM,
    "Digitization Notification": ITEM,
    "Loan Status Notice": ITEM,
    "Lost Loan": ITEM,
    "Lost Loan Notification": ITEM,
    "Lost Refund Fee": ITEM,
    "On Hold Shelf": ITEM,
    "On Hold Shelf Reminder": ITEM,
    "Requests Report": ITEM,
    "Overdue and Lost Loan": ITEM,
    "Overdue and Lost Loan Notification": ITEM,
    "Courtesy": ITEM,
    "Automatic Loans Renewal": ITEM,
    "Overdue Notice": ITEM,
    "Borrowing Activity": ITEM,
    "Borrowed By": PICKUP,
    "Loan Receipt": PICKUP,
    "Personal Delivery": PICKUP,
    "Return Receipt": PICKUP,
    "Shortened Due Date": PICKUP,
    "Short Loan": PICKUP,
    "Fine Fee Payment Receipt": DESK,
    "Fines/Fees Notification": FEE,
    "General Notice": INSTITUTION,
    # Beyond the DOMAIN list: registration at a desk (its library), and resource sharing
    # letters sent by the library owning the borrowing request's temporary item.
    "Registration": DESK,
    "Query To Patron": ITEM,
    "Borrowing Request Not Filled": ITEM,
}


def test_every_letter_type_has_an_asserted_owner() -> None:
    assert {letter.value for letter in Letter} == set(EXPECTED_OWNERS)


@pytest.mark.parametrize(("letter", "owner"), list(EXPECTED_OWNERS.items()))
def test_owner_in_context(letter: str, owner: int | None) -> None:
    assert letter_owner_library(Letter(letter), **PLACES) == owner


def test_institution_owned_fee_letter_belongs_to_the_institution() -> None:
    assert OWNER_OF[Letter.FINES_FEES_NOTIFICATION] is LetterOwner.FEE_OWNER
    assert letter_owner_library(Letter.FINES_FEES_NOTIFICATION, fee_owner=None) is None
