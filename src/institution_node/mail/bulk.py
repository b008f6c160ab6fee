"""E-mails for many letters at once (the loan jobs' bulk letters), in a constant number of
statements: the same rendering as ``letters.enqueue_letter_mail`` for each."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import insert, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from ..domain.letters import Letter
from ..outbox import MessageStatus
from ..store.models import Institution, LetterTemplate, Library, Notification, OutboxMessage, User
from .letters import CHANNEL, mail_enabled, render_message
from .templates import DEFAULT_BODY, DEFAULT_SUBJECT, Wording


@dataclass(frozen=True, slots=True)
class WrittenLetter:
    notification_id: int
    user_id: int
    letter: Letter
    owner_library_id: int | None
    reply_to: str | None
    subject: str
    body: str


async def enqueue_letter_mails(
    session: AsyncSession, letters: Sequence[WrittenLetter], *, now: datetime
) -> int:
    """Enqueue the e-mail of each written letter whose patron has an address (mail on);
    links each notification to its message. No commit. Returns how many were enqueued."""
    if not letters or not mail_enabled(session):
        return 0
    user_ids = sorted({w.user_id for w in letters})
    patrons = {
        row.id: row
        for row in await session.execute(
            select(User.id, User.email, User.first_name, User.last_name).where(
                User.id.in_(user_ids)
            )
        )
    }
    libraries = {
        row.id: row for row in await session.execute(select(Library.id, Library.code, Library.name))
    }
    institution_name = await session.scalar(select(Institution.name)) or ""
    kinds = sorted({w.letter.value for w in letters})
    templates = {
        (row.owner_library_id, row.letter): row
        for row in await session.execute(
            select(
                LetterTemplate.owner_library_id,
                LetterTemplate.letter,
                LetterTemplate.subject,
                LetterTemplate.body,
            ).where(LetterTemplate.letter.in_(kinds))
        )
    }
    rows: list[dict[str, object]] = []
    linked: list[int] = []
    for w in letters:
        patron = patrons.get(w.user_id)
        if patron is None or not patron.email:
            continue
        library = libraries.get(w.owner_library_id) if w.owner_library_id is not None else None
        own = templates.get((w.owner_library_id, w.letter.value)) if library else None
        shared = templates.get((None, w.letter.value))
        if own is not None:
            wording = Wording(own.subject, own.body, library.code if library else "LIBRARY")
        elif shared is not None:
            wording = Wording(shared.subject, shared.body, "INSTITUTION")
        else:
            wording = Wording(DEFAULT_SUBJECT, DEFAULT_BODY, "DEFAULT")
        payload = render_message(
            wording,
            letter=w.letter,
            subject=w.subject,
            body=w.body,
            to=patron.email,
            patron_first_name=patron.first_name,
            patron_last_name=patron.last_name,
            owner_code=library.code if library else None,
            owner_name=library.name if library else institution_name,
            institution_name=institution_name,
            reply_to=w.reply_to,
            notification_id=w.notification_id,
        )
        payload["message_key"] = uuid.uuid4().hex
        rows.append(
            {
                "channel": CHANNEL,
                "destination": patron.email,
                "ordering_key": f"patron:{w.user_id}",
                "payload": payload,
                "status": MessageStatus.PENDING.value,
                "attempts": 0,
                "next_attempt_at": now,
                "created_at": now,
                "updated_at": now,
            }
        )
        linked.append(w.notification_id)
    if not rows:
        return 0
    ids = (
        await session.scalars(
            insert(OutboxMessage).returning(OutboxMessage.id, sort_by_parameter_order=True), rows
        )
    ).all()
    await session.execute(
        update(Notification),
        [{"id": n, "outbox_message_id": m} for n, m in zip(linked, ids, strict=True)],
    )
    return len(rows)
