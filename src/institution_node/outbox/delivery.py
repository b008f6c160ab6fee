"""The delivery loop: claim due messages, hand them to their senders, record the outcome.

The rules (at most once, backoff, order per ``ordering_key``) are in the package docstring.
One run is one call of :func:`deliver_due`; the node's scheduler runs it periodically with
one runner at a time, and the claims below keep even overlapping runs from sending one
message twice (``FOR UPDATE SKIP LOCKED`` on PostgreSQL, the write lock on SQLite).
"""

from __future__ import annotations

import asyncio
import logging
import random
import time
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from sqlalchemy import Select, and_, exists, select, update
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker
from sqlalchemy.orm import aliased

from ..store.models import OutboxMessage
from .senders import (
    ChannelUnavailable,
    OutboundMessage,
    PermanentFailure,
    Sender,
    SenderRegistry,
)
from .status import OPEN, MessageStatus

log = logging.getLogger("institution_node.outbox")

_ERROR_MAX = 2000


@dataclass(frozen=True, slots=True)
class RetryPolicy:
    """How often and how long the loop tries (NODE_OUTBOX_* settings)."""

    base_seconds: float = 30.0
    max_seconds: float = 3600.0
    max_attempts: int = 20
    #: How long a claim protects a message being sent (longer than any sender's timeout).
    claim_seconds: float = 300.0
    #: Messages claimed at once (also the most a crash mid-batch can leave uncertain).
    batch_size: int = 100

    def delay(self, attempts: int) -> float:
        """Seconds to wait after the ``attempts``-th failed attempt."""
        base = min(self.max_seconds, self.base_seconds * 2 ** max(0, attempts - 1))
        jittered: float = base + random.uniform(0, base / 10)
        return min(self.max_seconds, jittered)


@dataclass
class DeliveryReport:
    sent: int = 0
    retried: int = 0
    failed: int = 0
    #: Sends found interrupted (claim expired): re-queued or failed per channel.
    interrupted: int = 0
    #: Channels whose server could not be reached in this run.
    unavailable: list[str] = field(default_factory=list)

    @property
    def handled(self) -> int:
        return self.sent + self.retried + self.failed


@dataclass(frozen=True, slots=True)
class _Outcome:
    message: OutboundMessage
    kind: str  # "sent", "retry", "failed", "released"
    error: str | None = None


class _Clock:
    """The run's reference time, moving with real time (explicit for tests)."""

    def __init__(self, now: datetime) -> None:
        self._start = now
        self._t0 = time.monotonic()

    def __call__(self) -> datetime:
        return self._start + timedelta(seconds=time.monotonic() - self._t0)


async def deliver_due(
    sessions: async_sessionmaker[AsyncSession],
    senders: SenderRegistry,
    *,
    now: datetime,
    policy: RetryPolicy | None = None,
    limit: int | None = None,
) -> DeliveryReport:
    """Deliver every message due at ``now`` (at most ``limit``) through its channel's sender."""
    policy = policy or RetryPolicy()
    clock = _Clock(now)
    report = DeliveryReport()
    report.interrupted = await _recover_interrupted(sessions, senders, now=now)
    channels = set(senders.channels)
    while channels and (limit is None or report.handled < limit):
        size = policy.batch_size
        if limit is not None:
            size = min(size, limit - report.handled)
        batch = await _claim(sessions, channels, due=now, at=clock(), policy=policy, size=size)
        if not batch:
            break
        unavailable: set[str] = set()
        outcomes = await _send_all(batch, senders, unavailable)
        await _record(sessions, outcomes, at=clock(), policy=policy, report=report)
        for channel in sorted(unavailable):
            log.warning("outbox: channel %s unavailable, retrying later", channel)
            report.unavailable.append(channel)
        channels -= unavailable
    return report


def _due_query(
    channels: Iterable[str], due: datetime, size: int, postgres: bool
) -> Select[OutboxMessage]:
    older = aliased(OutboxMessage)
    held_back = exists().where(
        and_(
            older.ordering_key == OutboxMessage.ordering_key,
            older.id < OutboxMessage.id,
            older.status.in_(OPEN),
        )
    )
    stmt = (
        select(OutboxMessage)
        .where(
            OutboxMessage.status == MessageStatus.PENDING.value,
            OutboxMessage.next_attempt_at <= due,
            OutboxMessage.channel.in_(sorted(channels)),
            ~held_back,
        )
        .order_by(OutboxMessage.id)
        .limit(size)
    )
    if postgres:
        stmt = stmt.with_for_update(skip_locked=True, of=OutboxMessage)
    return stmt


async def _claim(
    sessions: async_sessionmaker[AsyncSession],
    channels: set[str],
    *,
    due: datetime,
    at: datetime,
    policy: RetryPolicy,
    size: int,
) -> list[OutboundMessage]:
    async with sessions() as session, session.begin():
        postgres = session.get_bind().dialect.name == "postgresql"
        rows = list(await session.scalars(_due_query(channels, due, size, postgres)))
        if not rows:
            return []
        claimed_until = at + timedelta(seconds=policy.claim_seconds)
        for row in rows:
            row.status = MessageStatus.SENDING.value
            row.attempts += 1
            row.claimed_until = claimed_until
        return [
            OutboundMessage(
                id=row.id,
                channel=row.channel,
                destination=row.destination,
                ordering_key=row.ordering_key,
                payload=row.payload,
                attempt=row.attempts,
                created_at=row.created_at,
            )
            for row in rows
        ]


async def _send_all(
    batch: list[OutboundMessage], senders: SenderRegistry, unavailable: set[str]
) -> list[_Outcome]:
    limits: dict[str, asyncio.Semaphore] = {}

    async def one(message: OutboundMessage) -> _Outcome:
        sender = senders.get(message.channel)
        assert sender is not None  # only channels with senders are claimed
        gate = limits.setdefault(message.channel, asyncio.Semaphore(max(1, sender.concurrency)))
        async with gate:
            if message.channel in unavailable:
                return _Outcome(message, "released")
            return await _send_one(sender, message, unavailable)

    return list(await asyncio.gather(*(one(m) for m in batch)))


async def _send_one(sender: Sender, message: OutboundMessage, unavailable: set[str]) -> _Outcome:
    try:
        await sender.send(message)
    except PermanentFailure as exc:
        return _Outcome(message, "failed", _describe(exc))
    except ChannelUnavailable as exc:
        unavailable.add(message.channel)
        return _Outcome(message, "retry", _describe(exc))
    except Exception as exc:  # any other error of a sender is a failed attempt, not a crash
        return _Outcome(message, "retry", _describe(exc))
    return _Outcome(message, "sent")


def _describe(exc: BaseException) -> str:
    text = str(exc) or exc.__class__.__name__
    return text[:_ERROR_MAX]


async def _record(
    sessions: async_sessionmaker[AsyncSession],
    outcomes: list[_Outcome],
    *,
    at: datetime,
    policy: RetryPolicy,
    report: DeliveryReport,
) -> None:
    sending = OutboxMessage.status == MessageStatus.SENDING.value
    async with sessions() as session, session.begin():
        sent = [o.message.id for o in outcomes if o.kind == "sent"]
        if sent:
            await session.execute(
                update(OutboxMessage)
                .where(OutboxMessage.id.in_(sent), sending)
                .values(
                    status=MessageStatus.SENT.value,
                    sent_at=at,
                    claimed_until=None,
                    last_error=None,
                    updated_at=at,
                )
            )
            report.sent += len(sent)
        for outcome in outcomes:
            message = outcome.message
            where = and_(OutboxMessage.id == message.id, sending)
            if outcome.kind == "released":
                # Never handed to its sender: this was not an attempt.
                await session.execute(
                    update(OutboxMessage)
                    .where(where)
                    .values(
                        status=MessageStatus.PENDING.value,
                        attempts=OutboxMessage.attempts - 1,
                        claimed_until=None,
                        updated_at=at,
                    )
                )
            elif outcome.kind == "failed" or (
                outcome.kind == "retry" and message.attempt >= policy.max_attempts
            ):
                await session.execute(
                    update(OutboxMessage)
                    .where(where)
                    .values(
                        status=MessageStatus.FAILED.value,
                        claimed_until=None,
                        last_error=outcome.error,
                        updated_at=at,
                    )
                )
                report.failed += 1
                log.warning("outbox: message %s given up: %s", message.id, outcome.error)
            elif outcome.kind == "retry":
                await session.execute(
                    update(OutboxMessage)
                    .where(where)
                    .values(
                        status=MessageStatus.PENDING.value,
                        claimed_until=None,
                        last_error=outcome.error,
                        next_attempt_at=at + timedelta(seconds=policy.delay(message.attempt)),
                        updated_at=at,
                    )
                )
                report.retried += 1


async def _recover_interrupted(
    sessions: async_sessionmaker[AsyncSession], senders: SenderRegistry, *, now: datetime
) -> int:
    """Claims that expired: their send was interrupted. Re-queue or fail, per channel."""
    recovered = 0
    async with sessions() as session, session.begin():
        for sender in senders:
            stale = and_(
                OutboxMessage.channel == sender.channel,
                OutboxMessage.status == MessageStatus.SENDING.value,
                OutboxMessage.claimed_until < now,
            )
            if sender.retry_interrupted:
                values: dict[str, object] = {
                    "status": MessageStatus.PENDING.value,
                    "next_attempt_at": now,
                    "last_error": "delivery was interrupted; sending again",
                }
            else:
                values = {
                    "status": MessageStatus.FAILED.value,
                    "last_error": (
                        "delivery was interrupted (the node stopped during the send); the "
                        "receiver may or may not have it, so it is not sent again"
                    ),
                }
            result = await session.execute(
                update(OutboxMessage).where(stale).values(claimed_until=None, **values)
            )
            recovered += int(getattr(result, "rowcount", 0) or 0)
    return recovered
