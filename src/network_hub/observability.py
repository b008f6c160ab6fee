"""The hub's metrics: HTTP requests (shared middleware) plus every member call's outcome."""

from __future__ import annotations

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

    def observe_member_call(self, member: str, outcome: str, seconds: float) -> None:
        self.member_calls.labels(member, outcome).inc()
        self.member_latency.labels(member).observe(seconds)
