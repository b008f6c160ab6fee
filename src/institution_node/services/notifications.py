"""Patron letters for every service: one call records the notification, its attachment
copy (same owner) and the owner's reply-to address (DOMAIN §7 letter ownership).

Callers compute the owner with ``domain.letters.letter_owner_library`` and write inside
their own transaction, so a failed action leaves no letter behind. ``send_letter`` writes
one letter; ``send_letters`` writes many in a constant number of statements (the jobs:
courtesy, overdue and lost notices).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import insert, select
from sqlalchemy.ext.asyncio import AsyncSession

from ..domain.letters import Letter
from ..mail.bulk import WrittenLetter, enqueue_letter_mails
from ..store.models import Attachment, Institution, Library, Notification
from .requests.letters import fit_subject, record_letter


async def send_letter(
    session: AsyncSession,
    *,
    user_id: int,
    letter: Letter,
    owner_library_id: int | None,
    subject: str,
    body: str,
) -> Notification:
    """Record ``letter`` for the patron, owned by ``owner_library_id`` (None: institution)."""
    return await record_letter(
        session,
        user_id=user_id,
        letter=letter,
        owner=owner_library_id,
        subject=subject,
        body=body,
    )


@dataclass(frozen=True, slots=True)
class LetterDraft:
    user_id: int
    letter: Letter
    owner_library_id: int | None  # None: the institution
    subject: str
    body: str


async def reply_to_addresses(session: AsyncSession) -> tuple[dict[int, str | None], str | None]:
    """Every library's reply-to address, and the institution's (two statements)."""
    libraries = {
        id_: email
        for id_, email in await session.execute(select(Library.id, Library.reply_to_email))
    }
    return libraries, await session.scalar(select(Institution.reply_to_email))


async def send_letters(
    session: AsyncSession, drafts: Sequence[LetterDraft], *, created_at: datetime
) -> int:
    """Record many letters (and their attachment copies) in four statements; the owner's
    reply-to address as ``send_letter`` gives it. No commit. Returns how many."""
    if not drafts:
        return 0
    libraries, institution = await reply_to_addresses(session)

    def reply_to(owner: int | None) -> str | None:
        return (libraries.get(owner) if owner is not None else None) or institution

    rows = [
        {
            "user_id": d.user_id,
            "letter": d.letter.value,
            "owner_library_id": d.owner_library_id,
            "reply_to": reply_to(d.owner_library_id),
            "subject": fit_subject(d.subject),
            "body": d.body,
            "created_at": created_at,
        }
        for d in drafts
    ]
    ids = (
        await session.scalars(
            insert(Notification).returning(Notification.id, sort_by_parameter_order=True), rows
        )
    ).all()
    await session.execute(
        insert(Attachment),
        [
            {
                "user_id": d.user_id,
                "owner_library_id": d.owner_library_id,
                "name": f"{d.letter.value}.txt",
                "content_type": "text/plain",
                "content": f"Subject: {d.subject}\nReply-To: {row['reply_to'] or ''}\n\n{d.body}",
                "notification_id": notification_id,
                "created_at": created_at,
            }
            for d, row, notification_id in zip(drafts, rows, ids, strict=True)
        ],
    )
    await enqueue_letter_mails(
        session,
        [
            WrittenLetter(
                notification_id=notification_id,
                user_id=d.user_id,
                letter=d.letter,
                owner_library_id=d.owner_library_id,
                reply_to=reply_to(d.owner_library_id),
                subject=d.subject,
                body=d.body,
            )
            for d, row, notification_id in zip(drafts, rows, ids, strict=True)
        ],
        now=created_at,
    )
    return len(drafts)
