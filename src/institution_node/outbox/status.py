"""The life of an outbox message."""

from __future__ import annotations

from enum import StrEnum


class MessageStatus(StrEnum):
    PENDING = "PENDING"  # waiting for its (next) attempt
    SENDING = "SENDING"  # claimed by a runner, being handed to its sender
    SENT = "SENT"  # the receiver accepted it
    FAILED = "FAILED"  # given up (refused, too many attempts, or interrupted)


#: States that still hold a conversation (``ordering_key``) back.
OPEN = (MessageStatus.PENDING.value, MessageStatus.SENDING.value)
