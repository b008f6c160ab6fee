"""A patron asks for a borrowing request at home (through the hub; DOMAIN §5, §8).

When the home shows other members as availability only, Get It's "resource sharing" link
leads here: the request is made like a staff one (temporary records, a hold for the
patron), READY_TO_SEND on the default rota, for staff to review and send. The hub vouches
for the patron (it verified the patron's own token); the write is idempotent by the
hub's key, so a retry never makes a second request.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from datetime import date
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from network_common.errors import InvalidInput, NotFound

from ...domain.vocabulary import UserKind
from ...store.models import BorrowingRequest, Library, User
from ..idempotency import run_idempotent
from . import borrowing, common
from .messages import Bibliographic


@dataclass(frozen=True, slots=True)
class PatronAsk:
    """What a patron may give: a network record id, or the fields of a blank form."""

    pickup_library_code: str
    record_id: str | None = None
    title: str | None = None
    author: str | None = None
    isbn: str | None = None
    issn: str | None = None
    publication_date: str | None = None
    volume: str | None = None
    issue: str | None = None
    pages: str | None = None
    article_title: str | None = None
    article_author: str | None = None
    format: str = "BOOK"
    needed_by: date | None = None
    note: str | None = None


@dataclass(frozen=True, slots=True)
class PatronBorrowing:
    """The answer the patron sees (and a retry gets again)."""

    id: int
    status: str
    title: str
    pickup_library_code: str
    needed_by: str | None
    # None in an answer kept before the name was part of it (an idempotent replay).
    pickup_library_name: str | None = None

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


async def request_for_patron(
    session: AsyncSession, *, patron_primary_id: str, ask: PatronAsk, idempotency_key: str
) -> PatronBorrowing:
    """Make the patron's borrowing request (once per key). Commits."""
    if not ask.record_id and not (ask.title or "").strip():
        raise InvalidInput("Give the network record id or the title")

    async def action() -> dict[str, Any]:
        patron = await session.scalar(
            select(User.id).where(
                User.primary_id == patron_primary_id, User.kind == UserKind.PATRON.value
            )
        )
        if patron is None:
            raise NotFound("No such patron")
        request = await borrowing.create_request(
            session,
            actor=common.SYSTEM,
            ask=borrowing.BorrowingAsk(
                patron_primary_id=patron_primary_id,
                pickup_library_code=ask.pickup_library_code,
                bibliographic=Bibliographic(
                    title=ask.title or "",
                    author=ask.author,
                    isbn=ask.isbn,
                    issn=ask.issn,
                    publication_date=ask.publication_date,
                    volume=ask.volume,
                    issue=ask.issue,
                    pages=ask.pages,
                    article_title=ask.article_title,
                    article_author=ask.article_author,
                    record_id=ask.record_id,
                    format=ask.format,
                ),
                needed_by=ask.needed_by,
                note=ask.note,
            ),
        )
        return PatronBorrowing(
            id=request.id,
            status=request.status,
            title=request.title,
            pickup_library_code=ask.pickup_library_code,
            needed_by=request.needed_by.isoformat() if request.needed_by else None,
            pickup_library_name=await session.scalar(
                select(Library.name).where(Library.id == request.pickup_library_id)
            ),
        ).to_dict()

    payload = {"patron": patron_primary_id, **asdict(ask)}
    result = await run_idempotent(
        session,
        key=idempotency_key,
        operation="requestResourceSharing",
        payload=payload,
        action=action,
    )
    return PatronBorrowing(**result)


#: The most requests a patron's list shows (newest first).
MAX_PATRON_REQUESTS = 50


async def requests_of_patron(
    session: AsyncSession, *, patron_primary_id: str
) -> list[PatronBorrowing]:
    """The patron's own borrowing requests, newest first (at most ``MAX_PATRON_REQUESTS``),
    as the patron sees them: no staff note, no partner. A patron unknown here has none."""
    rows = await session.execute(
        select(
            BorrowingRequest.id,
            BorrowingRequest.status,
            BorrowingRequest.title,
            Library.code,
            Library.name,
            BorrowingRequest.needed_by,
        )
        .join(User, User.id == BorrowingRequest.user_id)
        .join(Library, Library.id == BorrowingRequest.pickup_library_id)
        .where(User.primary_id == patron_primary_id, User.kind == UserKind.PATRON.value)
        .order_by(BorrowingRequest.id.desc())
        .limit(MAX_PATRON_REQUESTS)
    )
    return [
        PatronBorrowing(
            id=r.id,
            status=r.status,
            title=r.title,
            pickup_library_code=r.code,
            needed_by=r.needed_by.isoformat() if r.needed_by else None,
            pickup_library_name=r.name,
        )
        for r in rows
    ]
