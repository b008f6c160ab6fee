"""What the owner answers after each cross-member step: one flat shape for every step.

The answer is stored as JSON by the idempotency record (a retry gets it back unchanged), so
it is built from plain values only.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, fields
from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from ...store.models import BibRecord, Institution, Item, Library, Loan, Request, User


@dataclass(frozen=True, slots=True)
class Acting:
    """The member acting on the owner's item, as the hub vouches for it (its staff token)."""

    institution: str
    library_code: str
    library_name: str
    desk_code: str
    reply_to: str | None = None


@dataclass(frozen=True, slots=True)
class OwnerStep:
    """The item, its request and/or loan at the owner, and where the item goes next."""

    owner_institution: str
    barcode: str | None = None
    title: str | None = None
    request_id: int | None = None
    request_status: str | None = None
    pickup_institution: str | None = None
    pickup_library_code: str | None = None
    pickup_library_name: str | None = None
    hold_shelf_expiry: str | None = None
    loan_status: str | None = None
    loan_institution: str | None = None
    due_date: str | None = None
    next_step: str | None = None
    destination_institution: str | None = None
    destination_library_code: str | None = None
    destination_library_name: str | None = None
    patron_name: str | None = None
    home_institution: str | None = None
    home_user_id: str | None = None
    local_primary_id: str | None = None
    network_link_id: str | None = None

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> OwnerStep:
        names = {f.name for f in fields(cls)}
        return cls(**{k: v for k, v in data.items() if k in names})


def _iso(moment: datetime | None) -> str | None:
    return moment.isoformat() if moment is not None else None


def patron_part(user: User, own_code: str) -> dict[str, Any]:
    """The limited patron information the acting member may see (DOMAIN §1)."""
    linked = user.source_institution_code is not None
    return {
        "patron_name": f"{user.first_name} {user.last_name}".strip(),
        "home_institution": user.source_institution_code if linked else own_code,
        "home_user_id": user.source_user_id if linked else user.primary_id,
        "local_primary_id": user.primary_id,
        "network_link_id": user.network_link_id,
    }


async def build_step(
    session: AsyncSession,
    *,
    item: Item | None,
    request: Request | None = None,
    loan: Loan | None = None,
    **extra: Any,
) -> OwnerStep:
    """Assemble the answer from the rows the step touched (a handful of primary-key reads)."""
    own_code = await session.scalar(select(Institution.code)) or ""
    values: dict[str, Any] = {"owner_institution": own_code}
    bib_id = item.bib_id if item is not None else request.bib_id if request is not None else None
    if item is not None:
        values["barcode"] = item.barcode
    if bib_id is not None:
        values["title"] = await session.scalar(
            select(BibRecord.title).where(BibRecord.id == bib_id)
        )
    user_id = loan.user_id if loan is not None else request.user_id if request else None
    if request is not None:
        values |= {
            "request_id": request.id,
            "request_status": request.status,
            "pickup_institution": request.pickup_institution,
            "pickup_library_code": request.pickup_library_code,
            "pickup_library_name": request.pickup_library_name,
            "hold_shelf_expiry": _iso(request.hold_shelf_expiry),
        }
    if loan is not None:
        values |= {
            "loan_status": loan.status,
            "loan_institution": loan.loan_institution or own_code,
            "due_date": _iso(loan.due_at),
        }
    if user_id is not None:
        user = await session.get_one(User, user_id)
        values |= patron_part(user, own_code)
    return OwnerStep(**(values | extra))


async def home_destination(session: AsyncSession, item: Item) -> dict[str, Any]:
    """``next_step`` TRANSIT to the item's owning library here (the item goes home)."""
    own_code = await session.scalar(select(Institution.code))
    lib = await session.get_one(Library, item.library_id)
    return {
        "next_step": "TRANSIT",
        "destination_institution": own_code,
        "destination_library_code": lib.code,
        "destination_library_name": lib.name,
    }
