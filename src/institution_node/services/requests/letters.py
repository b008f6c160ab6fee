"""Patron letters about requests (On Hold Shelf, Cancel Request, reminders).

The owner of each letter follows DOMAIN §7 (``domain/letters.py``); the owner sets the
reply-to address and who may see the notification. Sending files a copy as an attachment
on the patron record with the same owner.
"""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from ...domain.letters import Letter, letter_owner_library
from ...mail import enqueue_letter_mail
from ...store.models import Attachment, Institution, Library, Notification


async def send_request_letter(
    session: AsyncSession,
    *,
    user_id: int,
    letter: Letter,
    item_owner: int | None,
    pickup_library: int | None,
    subject: str,
    body: str,
) -> Notification:
    """Record a letter (and its attachment copy) in the session; the caller commits."""
    owner = letter_owner_library(letter, item_owner=item_owner, pickup_library=pickup_library)
    return await record_letter(
        session, user_id=user_id, letter=letter, owner=owner, subject=subject, body=body
    )


async def record_letter(
    session: AsyncSession,
    *,
    user_id: int,
    letter: Letter,
    owner: int | None,
    subject: str,
    body: str,
) -> Notification:
    """Write one notification owned by ``owner`` (None: the institution). A subject longer
    than its column (long titles) is shortened there; the attachment keeps it whole.

    The loan jobs write their letters in bulk with ``services.notifications.send_letters``:
    whatever this function adds per letter belongs there too (the e-mail: ``mail/bulk.py``
    beside ``mail/letters.py``)."""
    if owner is None:
        reply_to = await session.scalar(select(Institution.reply_to_email))
    else:
        reply_to = await session.scalar(select(Library.reply_to_email).where(Library.id == owner))
        if reply_to is None:
            reply_to = await session.scalar(select(Institution.reply_to_email))
    notification = Notification(
        user_id=user_id,
        letter=letter.value,
        owner_library_id=owner,
        reply_to=reply_to,
        subject=fit_subject(subject),
        body=body,
    )
    session.add(notification)
    await session.flush()
    await enqueue_letter_mail(
        session, notification=notification, letter=letter, subject=subject, body=body
    )
    session.add(
        Attachment(
            user_id=user_id,
            owner_library_id=owner,
            name=f"{letter.value}.txt",
            content=f"Subject: {subject}\nReply-To: {reply_to or ''}\n\n{body}",
            notification_id=notification.id,
        )
    )
    return notification


_SUBJECT_MAX = 255  # Notification.subject


def fit_subject(subject: str) -> str:
    """The subject as the notification column holds it (long titles are shortened)."""
    if len(subject) <= _SUBJECT_MAX:
        return subject
    return subject[: _SUBJECT_MAX - 1] + "…"
