"""``iso18626_messages_total{direction, message, outcome}`` and the handling time.

Labels are bounded: ``message`` is the message element (``request``,
``requestingAgencyMessage``, ``supplyingAgencyMessage``, ``other``) coming in and the
services' message kind going out; ``outcome`` is ``ok``, an errorType, ``refused``
(not authenticated), ``too_large``, ``failure`` (ours, answered 503) or, going out,
``retry``.
"""

from __future__ import annotations

from prometheus_client import CollectorRegistry, Counter, Histogram

INCOMING = frozenset({"request", "requestingAgencyMessage", "supplyingAgencyMessage"})


class Iso18626Metrics:
    def __init__(self, registry: CollectorRegistry) -> None:
        self.messages = Counter(
            "iso18626_messages_total",
            "ISO 18626 messages by direction, message and outcome",
            ["direction", "message", "outcome"],
            registry=registry,
        )
        self.seconds = Histogram(
            "iso18626_message_seconds",
            "Time to answer one incoming ISO 18626 message",
            ["message"],
            registry=registry,
        )

    def incoming(self, message: str, outcome: str, seconds: float) -> None:
        label = message if message in INCOMING else "other"
        self.messages.labels("in", label, outcome).inc()
        self.seconds.labels(label).observe(seconds)

    def outgoing(self, kind: str, outcome: str) -> None:
        self.messages.labels("out", kind, outcome).inc()
