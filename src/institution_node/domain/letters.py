"""Letter ownership (DOMAIN §7): who owns each patron letter, hence its reply-to address."""

from __future__ import annotations

from enum import StrEnum


class LetterOwner(StrEnum):
    ITEM_OWNER = "ITEM_OWNER"  # owning library of the item
    PICKUP_LIBRARY = "PICKUP_LIBRARY"
    DESK_LIBRARY = "DESK_LIBRARY"  # library of the circulation desk where it happened
    FEE_OWNER = "FEE_OWNER"
    INSTITUTION = "INSTITUTION"


class Letter(StrEnum):
    CANCEL_REQUEST = "Cancel Request"
    DOCUMENT_DELIVERY_NOTIFICATION = "Document Delivery Notification"
    DIGITIZATION_NOTIFICATION = "Digitization Notification"
    LOAN_STATUS_NOTICE = "Loan Status Notice"
    LOST_LOAN = "Lost Loan"
    LOST_LOAN_NOTIFICATION = "Lost Loan Notification"
    LOST_REFUND_FEE = "Lost Refund Fee"
    ON_HOLD_SHELF = "On Hold Shelf"
    ON_HOLD_SHELF_REMINDER = "On Hold Shelf Reminder"
    REQUESTS_REPORT = "Requests Report"
    OVERDUE_AND_LOST_LOAN = "Overdue and Lost Loan"
    OVERDUE_AND_LOST_LOAN_NOTIFICATION = "Overdue and Lost Loan Notification"
    COURTESY = "Courtesy"
    AUTOMATIC_LOANS_RENEWAL = "Automatic Loans Renewal"
    OVERDUE_NOTICE = "Overdue Notice"
    BORROWING_ACTIVITY = "Borrowing Activity"
    BORROWED_BY = "Borrowed By"
    LOAN_RECEIPT = "Loan Receipt"
    PERSONAL_DELIVERY = "Personal Delivery"
    RETURN_RECEIPT = "Return Receipt"
    SHORTENED_DUE_DATE = "Shortened Due Date"
    SHORT_LOAN = "Short Loan"
    FINE_FEE_PAYMENT_RECEIPT = "Fine Fee Payment Receipt"
    FINES_FEES_NOTIFICATION = "Fines/Fees Notification"
    GENERAL_NOTICE = "General Notice"
    REGISTRATION = "Registration"
    # Resource sharing (DOMAIN §8): sent by the resource sharing library, which owns the
    # borrowing request's temporary item.
    QUERY_TO_PATRON = "Query To Patron"
    BORROWING_REQUEST_NOT_FILLED = "Borrowing Request Not Filled"


_BY_OWNER: dict[LetterOwner, tuple[Letter, ...]] = {
    LetterOwner.ITEM_OWNER: (
        Letter.CANCEL_REQUEST,
        Letter.DOCUMENT_DELIVERY_NOTIFICATION,
        Letter.DIGITIZATION_NOTIFICATION,
        Letter.LOAN_STATUS_NOTICE,
        Letter.LOST_LOAN,
        Letter.LOST_LOAN_NOTIFICATION,
        Letter.LOST_REFUND_FEE,
        Letter.ON_HOLD_SHELF,
        Letter.ON_HOLD_SHELF_REMINDER,
        Letter.REQUESTS_REPORT,
        Letter.OVERDUE_AND_LOST_LOAN,
        Letter.OVERDUE_AND_LOST_LOAN_NOTIFICATION,
        Letter.COURTESY,
        Letter.AUTOMATIC_LOANS_RENEWAL,
        Letter.OVERDUE_NOTICE,
        Letter.BORROWING_ACTIVITY,
        Letter.QUERY_TO_PATRON,
        Letter.BORROWING_REQUEST_NOT_FILLED,
    ),
    LetterOwner.PICKUP_LIBRARY: (
        Letter.BORROWED_BY,
        Letter.LOAN_RECEIPT,
        Letter.PERSONAL_DELIVERY,
        Letter.RETURN_RECEIPT,
        Letter.SHORTENED_DUE_DATE,
        Letter.SHORT_LOAN,
    ),
    # Registration happens at a desk: its library owns the welcome letter.
    LetterOwner.DESK_LIBRARY: (Letter.FINE_FEE_PAYMENT_RECEIPT, Letter.REGISTRATION),
    LetterOwner.FEE_OWNER: (Letter.FINES_FEES_NOTIFICATION,),
    LetterOwner.INSTITUTION: (Letter.GENERAL_NOTICE,),
}

OWNER_OF: dict[Letter, LetterOwner] = {
    letter: owner for owner, letters in _BY_OWNER.items() for letter in letters
}


def letter_owner_library(
    letter: Letter,
    *,
    item_owner: int | None = None,
    pickup_library: int | None = None,
    desk_library: int | None = None,
    fee_owner: int | None = None,
) -> int | None:
    """The library that owns ``letter`` in this context; ``None`` means the institution.

    The pickup library of a loan is the library of the desk it was loaned (or returned) at.
    """
    owner = OWNER_OF[letter]
    if owner is LetterOwner.ITEM_OWNER:
        return item_owner
    if owner is LetterOwner.PICKUP_LIBRARY:
        return pickup_library
    if owner is LetterOwner.DESK_LIBRARY:
        return desk_library
    if owner is LetterOwner.FEE_OWNER:
        return fee_owner
    return None
