"""Looking up an item: status, owner, location, policy and its current loan's due date."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from network_common.errors import NotFound
from network_common.tokens import Principal
from network_common.vocabulary import LoanStatus

from ..domain.visibility import Kind
from ..store.models import BibRecord, Item, Library, Loan
from .circulation import common
from .circulation.views import LoanView, loan_views, loan_visibility


@dataclass(frozen=True, slots=True)
class ItemView:
    barcode: str
    title: str
    record_id: str
    status: str
    owning_library: str
    location: str
    loanable: bool
    loan_period_days: int
    renewals_allowed: int
    due_at: datetime | None
    #: The current loan, only when the caller may see it (it names the patron).
    loan: LoanView | None


async def lookup_item(session: AsyncSession, *, actor: Principal, barcode: str) -> ItemView:
    """An item by barcode; the due date always, the loan itself only if visible."""
    facts = await common.facts(session)
    row = (
        await session.execute(
            select(Item, BibRecord.title, BibRecord.network_record_id, Library.code, Loan.due_at)
            .join(BibRecord, BibRecord.id == Item.bib_id)
            .join(Library, Library.id == Item.library_id)
            .outerjoin(Loan, (Loan.item_id == Item.id) & (Loan.status == LoanStatus.ACTIVE.value))
            .where(Item.barcode == barcode)
        )
    ).first()
    if row is None:
        raise NotFound(f"No item with barcode {barcode}")
    item, title, record_id, library_code, due_at = row
    loan: LoanView | None = None
    if due_at is not None:
        visible = await loan_views(
            session,
            Loan.item_id == item.id,
            Loan.status == LoanStatus.ACTIVE.value,
            loan_visibility(Kind.LOAN, facts.model, common.viewer_scope(actor)),
        )
        loan = visible[0] if visible else None
    return ItemView(
        barcode=item.barcode,
        title=title,
        record_id=record_id,
        status=item.status,
        owning_library=library_code,
        location=item.location,
        loanable=item.loanable,
        loan_period_days=item.loan_period_days,
        renewals_allowed=item.renewals_allowed,
        due_at=due_at,
        loan=loan,
    )
