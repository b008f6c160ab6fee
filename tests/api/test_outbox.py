"""The generic outbox: written with the event, delivered at most once, in order per
conversation, with backoff; on SQLite and PostgreSQL."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import func, select, update
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from institution_node.outbox import (
    ChannelUnavailable,
    MessageStatus,
    OutboundMessage,
    PermanentFailure,
    RetryPolicy,
    Sender,
    SenderRegistry,
    deliver_due,
    enqueue,
    message_states,
)
from institution_node.store.migrate import upgrade
from institution_node.store.models import OutboxMessage
from network_common.db import make_engine, make_sessionmaker

# Messages are due from the moment they are written: the test clock starts after that.
T0 = datetime.now(UTC) + timedelta(days=1)
POLICY = RetryPolicy(base_seconds=10, max_seconds=60, max_attempts=3, claim_seconds=30)


class Recorder(Sender):
    """Accepts messages, or fails those listed in ``fail`` (message id -> error to raise)."""

    def __init__(self, channel: str = "test", *, concurrency: int = 4) -> None:
        self.channel = channel
        self.concurrency = concurrency
        self.received: list[tuple[int, dict[str, object]]] = []
        self.fail: dict[int, Exception] = {}
        self.down = False

    async def send(self, message: OutboundMessage) -> None:
        await asyncio.sleep(0)
        if self.down:
            raise ChannelUnavailable("connection refused")
        if (error := self.fail.get(message.id)) is not None:
            raise error
        self.received.append((message.id, message.payload))


@pytest.fixture
async def sessions(db_url: str) -> AsyncIterator[async_sessionmaker[AsyncSession]]:
    engine = make_engine(db_url)
    await upgrade(engine)
    yield make_sessionmaker(engine)
    await engine.dispose()


async def _enqueue(
    sessions: async_sessionmaker[AsyncSession], n: int, *, key: str | None = None
) -> list[int]:
    async with sessions() as session:
        ids = []
        for i in range(n):
            message = await enqueue(
                session, channel="test", destination=f"d{i}", payload={"n": i}, ordering_key=key
            )
            ids.append(message.id)
        await session.commit()
    return ids


async def _status(sessions: async_sessionmaker[AsyncSession], ids: list[int]) -> list[str]:
    async with sessions() as session:
        states = await message_states(session, ids)
    return [states[i][0].value for i in ids]


async def test_a_rolled_back_event_leaves_no_message(
    sessions: async_sessionmaker[AsyncSession],
) -> None:
    async with sessions() as session:
        await enqueue(session, channel="test", destination="x", payload={})
        await session.rollback()
    async with sessions() as session:
        assert await session.scalar(select(func.count()).select_from(OutboxMessage)) == 0


async def test_each_message_is_sent_once(sessions: async_sessionmaker[AsyncSession]) -> None:
    ids = await _enqueue(sessions, 7)
    sender = Recorder()
    senders = SenderRegistry([sender])
    report = await deliver_due(sessions, senders, now=T0, policy=POLICY)
    assert report.sent == 7
    again = await deliver_due(sessions, senders, now=T0 + timedelta(hours=1), policy=POLICY)
    assert again.sent == 0
    assert sorted(i for i, _ in sender.received) == ids
    assert await _status(sessions, ids) == ["SENT"] * 7


async def test_a_conversation_waits_for_its_oldest_message(
    sessions: async_sessionmaker[AsyncSession],
) -> None:
    ids = await _enqueue(sessions, 3, key="conv-1")
    other = await _enqueue(sessions, 1, key="conv-2")
    sender = Recorder()
    sender.fail[ids[0]] = RuntimeError("busy")
    senders = SenderRegistry([sender])
    report = await deliver_due(sessions, senders, now=T0, policy=POLICY)
    assert (report.sent, report.retried) == (1, 1)
    assert [i for i, _ in sender.received] == other  # conv-1 is held back behind its head
    assert await _status(sessions, ids) == ["PENDING"] * 3
    # Not due yet: the backoff holds.
    assert (await deliver_due(sessions, senders, now=T0 + timedelta(seconds=5))).sent == 0
    del sender.fail[ids[0]]
    report = await deliver_due(sessions, senders, now=T0 + timedelta(seconds=12), policy=POLICY)
    assert report.sent == 3
    assert [i for i, _ in sender.received][1:] == ids  # in order


async def test_an_unreachable_server_stops_the_channel_without_using_up_attempts(
    sessions: async_sessionmaker[AsyncSession],
) -> None:
    ids = await _enqueue(sessions, 10)
    sender = Recorder(concurrency=1)
    sender.down = True
    senders = SenderRegistry([sender])
    report = await deliver_due(sessions, senders, now=T0, policy=POLICY)
    assert report.unavailable == ["test"]
    assert report.retried == 1  # only the one that found the server down
    async with sessions() as session:
        attempts = list(
            await session.scalars(select(OutboxMessage.attempts).order_by(OutboxMessage.id))
        )
    assert attempts == [1] + [0] * 9
    sender.down = False
    report = await deliver_due(sessions, senders, now=T0 + timedelta(minutes=5), policy=POLICY)
    assert report.sent == 10
    assert sorted(i for i, _ in sender.received) == ids


async def test_refused_or_too_often_failed_messages_are_given_up_with_their_error(
    sessions: async_sessionmaker[AsyncSession],
) -> None:
    refused, second, third = await _enqueue(sessions, 3, key="conv")
    sender = Recorder()
    sender.fail[refused] = PermanentFailure("550 no such mailbox")
    senders = SenderRegistry([sender])
    await deliver_due(sessions, senders, now=T0, policy=POLICY)
    # The refused head released its conversation: the next ones went out, in order.
    assert await _status(sessions, [refused, second, third]) == ["FAILED", "SENT", "SENT"]
    assert [i for i, _ in sender.received] == [second, third]
    ids = await _enqueue(sessions, 1)
    sender.fail[ids[0]] = RuntimeError("451 try later")
    moment = T0
    for _ in range(POLICY.max_attempts):
        await deliver_due(sessions, senders, now=moment, policy=POLICY)
        moment += timedelta(seconds=POLICY.max_seconds * 2)
    async with sessions() as session:
        states = await message_states(session, [refused, *ids])
    assert states[refused][0] is MessageStatus.FAILED
    assert states[refused][3] == "550 no such mailbox"
    assert states[ids[0]][:2] == (MessageStatus.FAILED, POLICY.max_attempts)
    assert states[ids[0]][3] == "451 try later"


@pytest.mark.parametrize("retry_interrupted", [False, True])
async def test_an_interrupted_send_is_never_repeated_unless_the_channel_deduplicates(
    sessions: async_sessionmaker[AsyncSession], retry_interrupted: bool
) -> None:
    ids = await _enqueue(sessions, 1)
    # A runner claimed it and died during the send.
    async with sessions() as session, session.begin():
        await session.execute(
            update(OutboxMessage).values(
                status="SENDING", attempts=1, claimed_until=T0 + timedelta(seconds=30)
            )
        )
    sender = Recorder()
    sender.retry_interrupted = retry_interrupted
    senders = SenderRegistry([sender])
    report = await deliver_due(sessions, senders, now=T0 + timedelta(seconds=10), policy=POLICY)
    assert (report.interrupted, report.sent) == (0, 0)  # the claim still holds
    report = await deliver_due(sessions, senders, now=T0 + timedelta(seconds=31), policy=POLICY)
    assert report.interrupted == 1
    expected = "SENT" if retry_interrupted else "FAILED"
    assert await _status(sessions, ids) == [expected]
    assert len(sender.received) == (1 if retry_interrupted else 0)


async def test_overlapping_runs_never_send_a_message_twice(db_url: str) -> None:
    engines = [make_engine(db_url) for _ in range(2)]
    await upgrade(engines[0])
    makers = [make_sessionmaker(e) for e in engines]
    try:
        ids = await _enqueue(makers[0], 120)
        senders = [Recorder(concurrency=8), Recorder(concurrency=8)]
        policy = RetryPolicy(batch_size=10)
        await asyncio.gather(
            *(
                deliver_due(m, SenderRegistry([s]), now=T0, policy=policy)
                for m, s in zip(makers, senders, strict=True)
            )
        )
        got = [i for s in senders for i, _ in s.received]
        assert sorted(got) == ids
    finally:
        for engine in engines:
            await engine.dispose()
