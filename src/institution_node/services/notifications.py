"""Patron letters for every service: one call records the notification, its attachment
copy (same owner) and the owner's reply-to address (DOMAIN §7 letter ownership).

Callers compute the owner with ``domain.letters.letter_owner_library`` and write inside
their own transaction, so a failed action leaves no letter behind.
"""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncSession

from ..domain.letters import Letter
from ..store.models import Notification
from .requests.letters import record_letter


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
