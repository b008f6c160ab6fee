"""The node's outbox: messages that must not be lost leave through here (ARCHITECTURE.md,
"Messages that must not be lost").

Writing — inside the transaction of the event that causes the message::

    from institution_node.outbox import enqueue

    async with sessions() as session:
        ...  # change state
        await enqueue(
            session,
            channel="iso18626",            # a sender registered under this name delivers it
            destination="https://partner.example/iso18626",
            payload={"xml": document},     # JSON-able; the channel's sender reads it
            ordering_key="rs-request-42",  # optional: one conversation, delivered in order
        )
        await session.commit()             # the message exists iff the event happened

``enqueue`` only adds a row (``store/models/outbox.py``) to the caller's session and
flushes it; it never commits and never sends. A rolled-back event leaves no message.

Delivering — ``deliver_due(sessions, senders, now=..., policy=...)`` (run by the node's
scheduler as the ``outbox-delivery`` job, ``NODE_OUTBOX_DELIVERY_SECONDS``):

- A **sender** per channel, registered by name in a :class:`SenderRegistry`, subclasses
  :class:`Sender` and implements ``async send(message)``. It returns normally when the
  receiver has accepted the message; it raises :class:`DeliveryError` (try again later),
  :class:`ChannelUnavailable` (the receiving server is down: try again later and stop
  trying this channel for the rest of the run, so a dead server does not burn every
  message's attempts) or :class:`PermanentFailure` (the receiver refused it: give up).
  ``concurrency`` bounds how many of its messages are in flight at once.
- **At most once**: a message is claimed (``SENDING``, committed) before it is handed to
  its sender, and marked ``SENT`` right after, so two runners never send one message and
  a message is never re-sent after success. A claim that outlives ``claim_seconds`` was
  interrupted (the process died during the send, so the receiver may or may not have it):
  a sender with ``retry_interrupted = True`` (receivers that deduplicate, e.g. ISO 18626
  and NCIP with their message ids) gets it again; otherwise (e-mail) it is marked
  ``FAILED`` with that reason, never sent twice.
- **Backoff**: a failed attempt waits ``base * 2**(attempts-1)`` seconds (plus up to 10 %
  jitter, at most ``max_seconds``); after ``max_attempts`` attempts the message is
  ``FAILED`` with its last error kept in ``last_error``.
- **Order**: among messages with the same ``ordering_key`` only the oldest open one
  (``PENDING``/``SENDING``) is eligible, so a conversation is delivered in ``id`` order and
  a message waiting for its retry holds back the later ones. A ``FAILED`` message releases
  its conversation. Messages without a key are independent.

Reading a message's state: :func:`message_states` (for staff views: sent / failed / pending).
"""

from .delivery import DeliveryReport, RetryPolicy, deliver_due
from .enqueue import enqueue, message_states
from .senders import (
    ChannelUnavailable,
    DeliveryError,
    OutboundMessage,
    PermanentFailure,
    Sender,
    SenderRegistry,
)
from .status import MessageStatus

__all__ = [
    "ChannelUnavailable",
    "DeliveryError",
    "DeliveryReport",
    "MessageStatus",
    "OutboundMessage",
    "PermanentFailure",
    "RetryPolicy",
    "Sender",
    "SenderRegistry",
    "deliver_due",
    "enqueue",
    "message_states",
]
