"""Brokers retry: the same message twice changes nothing the second time and gets the same
answer, also when the copies arrive together.

A message's identity is its service, the calling agency and what it names (the request id
when it carries one, else the item / user / date it names): its digest is claimed as an
``IncomingMessage`` row (unique per partner and digest) in the transaction that serves it.
A concurrent copy waits on that claim (PostgreSQL: the unique index; SQLite: the write
lock every write session takes at BEGIN IMMEDIATE) and then finds the stored answer.

A stored answer is replayed while the lending request it served is as the message left
it (the same ``version``): once anything else moved the request on (staff, a later
message), the same message is served anew, and the handlers answer from the request's
state then (a CheckOutItem for a request already shipped answers its due date, ...). A
message answered with a Problem leaves no claim: nothing of it is kept.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Awaitable, Callable

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from ..services.resource_sharing.common import now
from ..store.models import IncomingMessage, LendingRequest
from .problems import NcipProblem, ProblemType

#: What a handler's work returns: the answer and the lending request it served.
Work = Callable[[AsyncSession], Awaitable[tuple[bytes, int | None]]]

_ATTEMPTS = 5


def digest(service: str, *parts: str | None) -> str:
    text = "\x1f".join(["ncip", service, *(p or "" for p in parts)])
    return hashlib.sha256(text.encode()).hexdigest()


async def _version(session: AsyncSession, lending_id: int | None) -> int | None:
    if lending_id is None:
        return None
    version: int | None = await session.scalar(
        select(LendingRequest.version).where(LendingRequest.id == lending_id)
    )
    return version


async def served_once(
    sessions: async_sessionmaker[AsyncSession], *, partner_id: int, key: str, work: Work
) -> bytes:
    """Run ``work`` (which writes through the session, never commits) once per ``key``;
    commit it with the claim, or replay the stored answer."""
    for _ in range(_ATTEMPTS):
        async with sessions() as session:
            claim = await session.scalar(
                select(IncomingMessage)
                .where(IncomingMessage.partner_id == partner_id, IncomingMessage.digest == key)
                .with_for_update()
            )
            if claim is None:
                claim = IncomingMessage(
                    partner_id=partner_id, digest=key, confirmation="", received_at=now()
                )
                session.add(claim)
                try:
                    await session.flush()
                except IntegrityError:
                    await session.rollback()  # a copy claimed it meanwhile: read its answer
                    continue
            elif claim.confirmation:
                stored = json.loads(claim.confirmation)
                if await _version(session, stored.get("lending")) == stored.get("version"):
                    await session.rollback()
                    return str(stored["answer"]).encode()
            try:
                answer, lending_id = await work(session)
                claim.confirmation = json.dumps(
                    {
                        "answer": answer.decode(),
                        "lending": lending_id,
                        "version": await _version(session, lending_id),
                    }
                )
                claim.received_at = now()
                await session.commit()
            except BaseException:
                await session.rollback()
                raise
            return answer
    raise NcipProblem(
        ProblemType.TEMPORARY_PROCESSING_FAILURE,
        "The message could not be processed now; try again later",
    )
