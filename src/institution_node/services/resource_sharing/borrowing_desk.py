"""The patron's loan and return of a borrowed item, started from the borrowing request.

They are the desk's ordinary loan and return of the temporary item (``circulation.loans``,
which tells ``borrowing_loans`` and commits); this module only finds the item and the
patron from the request and refuses, before touching the desk, a step the request's state
does not allow.
"""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncSession

from network_common.errors import Conflict, ErrorCode
from network_common.tokens import Principal

from ...domain import borrowing as table
from ...domain.borrowing import BorrowingEvent, BorrowingStatus
from ...store.models import User
from ..circulation import loans
from . import common
from .borrowing_steps import for_change


async def _ready(
    session: AsyncSession, *, actor: Principal, request_id: int, event: BorrowingEvent
) -> tuple[str, str]:
    """(temporary item barcode, patron primary id) if ``event`` may happen now."""
    request = await for_change(session, actor=common.Actor(principal=actor), request_id=request_id)
    table.next_status(BorrowingStatus(request.status), event)
    if request.temp_item_id is None or not request.item_barcode:
        raise Conflict("The temporary item is gone", code=ErrorCode.ILLEGAL_TRANSITION)
    patron = await session.get_one(User, request.user_id)
    return request.item_barcode, patron.primary_id


async def loan_to_patron(
    session: AsyncSession, *, actor: Principal, request_id: int, desk_code: str
) -> None:
    """Loan the received item to its patron at ``desk_code`` (due when the partner wants it
    back). Commits."""
    barcode, patron = await _ready(
        session, actor=actor, request_id=request_id, event=BorrowingEvent.LOAN_TO_PATRON
    )
    await loans.loan_item(
        session, actor=actor, desk_code=desk_code, patron_primary_id=patron, barcode=barcode
    )


async def return_by_patron(
    session: AsyncSession, *, actor: Principal, request_id: int, desk_code: str
) -> None:
    """The patron brings the item back to ``desk_code``. Commits."""
    barcode, _ = await _ready(
        session, actor=actor, request_id=request_id, event=BorrowingEvent.RETURN_BY_PATRON
    )
    await loans.return_item(session, actor=actor, desk_code=desk_code, barcode=barcode)
