"""Letters owned by another member's library (DOMAIN §7 letter ownership across members).

Loan Receipt and Return Receipt belong to the library where the patron stood: at the pickup
or returning member C. The letter is recorded here at the owner (the patron's record and the
loan live here) with ``owner_library_id`` empty, ``sender_institution``/``sender_library_code``
naming C's library and C's library's reply-to address; the attachment copy says the same.
"""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncSession

from ...domain.letters import Letter
from ...mail import enqueue_letter_mail
from ...store.models import Attachment, Notification
from ..requests.letters import fit_subject
from .steps import Acting


async def send_member_letter(
    session: AsyncSession,
    *,
    user_id: int,
    letter: Letter,
    sender: Acting,
    subject: str,
    body: str,
) -> Notification:
    """Record ``letter`` sent on behalf of ``sender``'s library (the caller commits)."""
    notification = Notification(
        user_id=user_id,
        letter=letter.value,
        owner_library_id=None,
        reply_to=sender.reply_to,
        sender_institution=sender.institution,
        sender_library_code=sender.library_code,
        subject=fit_subject(subject),
        body=body,
    )
    session.add(notification)
    await session.flush()
    # C's templates live at C: the letter takes this node's institution template (or the
    # default wording) with C's library name and reply-to.
    await enqueue_letter_mail(
        session,
        notification=notification,
        letter=letter,
        subject=subject,
        body=body,
        owner_code=f"{sender.institution}/{sender.library_code}",
        owner_name=f"{sender.library_name} ({sender.institution})",
    )
    session.add(
        Attachment(
            user_id=user_id,
            owner_library_id=None,
            name=f"{letter.value}.txt",
            content=(
                f"Subject: {subject}\nFrom: {sender.library_name} ({sender.institution})\n"
                f"Reply-To: {sender.reply_to or ''}\n\n{body}"
            ),
            notification_id=notification.id,
        )
    )
    return notification
