"""Enqueueing a recorded letter as an e-mail, in the letter's own transaction."""

from __future__ import annotations

import uuid
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from ..domain.letters import Letter
from ..outbox import enqueue
from ..store.models import Institution, Library, Notification, User
from .templates import Wording, render, wording_for

#: ``Session.info`` key: letters written in this session are e-mailed too.
MAIL_ENABLED = "lfn_mail_enabled"
CHANNEL = "email"
_SUBJECT_MAX = 998  # RFC 5322 line limit


def session_info(*, smtp_host: str | None) -> dict[str, Any]:
    """What the node's sessions carry: whether mail is configured (``NODE_SMTP_HOST``)."""
    return {MAIL_ENABLED: bool(smtp_host)}


def mail_enabled(session: AsyncSession) -> bool:
    return bool(session.info.get(MAIL_ENABLED))


async def enqueue_letter_mail(
    session: AsyncSession,
    *,
    notification: Notification,
    letter: Letter,
    subject: str,
    body: str,
    owner_code: str | None = None,
    owner_name: str | None = None,
) -> None:
    """E-mail ``notification`` to its patron (if mail is on and they have an address).

    The owner is the notification's ``owner_library_id`` (None: the institution) unless
    ``owner_name`` names a library of another member (pickup anywhere letters); its
    template, name and reply-to address shape the message."""
    if not mail_enabled(session):
        return
    patron = (
        await session.execute(
            select(User.email, User.first_name, User.last_name).where(
                User.id == notification.user_id
            )
        )
    ).one()
    if not patron.email:
        return
    institution_name = await session.scalar(select(Institution.name)) or ""
    owner_id = notification.owner_library_id
    if owner_name is None:
        if owner_id is not None:
            library = (
                await session.execute(
                    select(Library.code, Library.name).where(Library.id == owner_id)
                )
            ).one()
            owner_code, owner_name = library.code, library.name
        else:
            owner_name = institution_name
    wording = await wording_for(
        session, letter=letter, owner_library_id=owner_id, owner_code=owner_code
    )
    payload = render_message(
        wording,
        letter=letter,
        subject=subject,
        body=body,
        to=patron.email,
        patron_first_name=patron.first_name,
        patron_last_name=patron.last_name,
        owner_code=owner_code,
        owner_name=owner_name,
        institution_name=institution_name,
        reply_to=notification.reply_to,
        notification_id=notification.id,
    )
    payload["message_key"] = uuid.uuid4().hex
    message = await enqueue(
        session,
        channel=CHANNEL,
        destination=patron.email,
        payload=payload,
        # One patron's letters arrive in the order they were written.
        ordering_key=f"patron:{notification.user_id}",
    )
    notification.outbox_message_id = message.id


def render_message(
    wording: Wording,
    *,
    letter: Letter,
    subject: str,
    body: str,
    to: str,
    patron_first_name: str,
    patron_last_name: str,
    owner_code: str | None,
    owner_name: str,
    institution_name: str,
    reply_to: str | None,
    notification_id: int,
) -> dict[str, Any]:
    """The outbox payload of one letter's e-mail (what ``smtp.SmtpSender`` sends)."""
    values = {
        "patron_name": f"{patron_first_name} {patron_last_name}".strip(),
        "patron_first_name": patron_first_name,
        "letter": letter.value,
        "subject": subject,
        "body": body,
        "owner_name": owner_name,
        "institution_name": institution_name,
        "reply_to": reply_to or "",
    }
    # One line, whatever the subject or template holds (no header injection).
    rendered_subject = " ".join(render(wording.subject, values).split())[:_SUBJECT_MAX]
    return {
        "to": to,
        "from_name": owner_name,
        "reply_to": reply_to,
        "subject": rendered_subject or letter.value,
        "text": render(wording.body, values),
        "letter": letter.value,
        "notification_id": notification_id,
        "owner": owner_code or "INSTITUTION",
        "template": wording.source,
    }
