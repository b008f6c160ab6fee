"""The hub's metrics: HTTP requests (shared middleware) plus every member call's outcome."""

from __future__ import annotations

from typing import Any

from prometheus_client import Counter, Histogram

from network_common.observability import Metrics


class HubMetrics(Metrics):
    def __init__(self) -> None:
        super().__init__("network_hub")
        self.member_calls = Counter(
            "hub_member_calls_total",
            "Calls from the hub to members' network APIs, by outcome",
            ["member", "outcome"],
            registry=self.registry,
        )
        self.member_latency = Histogram(
            "hub_member_call_seconds",
            "Latency of the hub's member calls",
            ["member"],
            registry=self.registry,
            buckets=(0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0),
        )

        # The labelled children, looked up once each (``labels`` takes a lock and builds
        # the label tuple on every call; a fan-out observes N calls per query).
        self._calls: dict[tuple[str, str], Any] = {}
        self._latency: dict[str, Any] = {}

    def observe_member_call(self, member: str, outcome: str, seconds: float) -> None:
        calls = self._calls.get((member, outcome))
        if calls is None:
            calls = self._calls[(member, outcome)] = self.member_calls.labels(member, outcome)
        calls.inc()
        latency = self._latency.get(member)
        if latency is None:
            latency = self._latency[member] = self.member_latency.labels(member)
        latency.observe(seconds)
