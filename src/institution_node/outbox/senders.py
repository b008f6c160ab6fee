"""Per-channel senders and what they may raise (see the package docstring)."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime
from typing import Any


class DeliveryError(Exception):
    """This attempt failed; try the message again later (with backoff)."""


class ChannelUnavailable(DeliveryError):
    """The channel's receiving server cannot be reached: retry later, and send nothing more
    on this channel in the current run."""


class PermanentFailure(DeliveryError):
    """The receiver refused the message for good (e.g. an unknown mailbox): give up."""


@dataclass(frozen=True, slots=True)
class OutboundMessage:
    id: int
    channel: str
    destination: str
    ordering_key: str | None
    payload: dict[str, Any]
    #: Attempts including this one.
    attempt: int
    created_at: datetime


class Sender:
    """Delivers one channel's messages. Subclass it and implement :meth:`send`."""

    #: The channel name messages are enqueued under.
    channel: str = ""
    #: Messages of this channel in flight at once.
    concurrency: int = 1
    #: Re-send a message whose send was interrupted (only for receivers that deduplicate).
    retry_interrupted: bool = False

    async def send(self, message: OutboundMessage) -> None:
        raise NotImplementedError

    async def aclose(self) -> None:
        """Release connections (called when the node stops)."""


class SenderRegistry:
    """Senders by channel name; a channel without a sender keeps its messages pending."""

    def __init__(self, senders: list[Sender] | None = None) -> None:
        self._senders: dict[str, Sender] = {}
        for sender in senders or []:
            self.register(sender)

    def register(self, sender: Sender) -> None:
        if not sender.channel:
            raise ValueError("a sender needs a channel name")
        if sender.channel in self._senders:
            raise ValueError(f"channel {sender.channel!r} already has a sender")
        self._senders[sender.channel] = sender

    def get(self, channel: str) -> Sender | None:
        return self._senders.get(channel)

    @property
    def channels(self) -> list[str]:
        return sorted(self._senders)

    def __iter__(self) -> Iterator[Sender]:
        return iter(self._senders.values())

    def __len__(self) -> int:
        return len(self._senders)

    async def aclose(self) -> None:
        for sender in self._senders.values():
            await sender.aclose()
