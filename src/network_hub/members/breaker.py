"""A circuit breaker per member: closed → open after K consecutive failures → half-open.

While open, calls fail at once (``CIRCUIT_OPEN``) instead of waiting for the timeout; after the
cooldown one trial call is let through, and its outcome closes or re-opens the breaker.
Meanwhile the registry probes every open breaker's member with a cheap health call every
HUB_BREAKER_PROBE_SECONDS (``BreakerProbes``); a member that answers closes its breaker at
once, so one that comes back is used again within seconds, not after the whole cooldown.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from enum import StrEnum


class BreakerState(StrEnum):
    CLOSED = "CLOSED"
    OPEN = "OPEN"
    HALF_OPEN = "HALF_OPEN"


class CircuitBreaker:
    def __init__(
        self,
        *,
        failure_threshold: int,
        cooldown_seconds: float,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.failure_threshold = failure_threshold
        self.cooldown_seconds = cooldown_seconds
        self._clock = clock
        self._failures = 0
        self._opened_at: float | None = None
        self._trial_in_flight = False

    @property
    def state(self) -> BreakerState:
        if self._opened_at is None:
            return BreakerState.CLOSED
        if self._clock() - self._opened_at >= self.cooldown_seconds:
            return BreakerState.HALF_OPEN
        return BreakerState.OPEN

    def allow(self) -> bool:
        """Whether a call may go out now (claims the single half-open trial)."""
        state = self.state
        if state is BreakerState.CLOSED:
            return True
        if state is BreakerState.HALF_OPEN and not self._trial_in_flight:
            self._trial_in_flight = True
            return True
        return False

    def abandon(self) -> None:
        """The call was cancelled before it could tell anything: free the trial slot."""
        self._trial_in_flight = False

    @property
    def is_open(self) -> bool:
        """Opened (OPEN or HALF_OPEN): calls are refused or limited to one trial."""
        return self._opened_at is not None

    def record_success(self) -> None:
        self._failures = 0
        self._opened_at = None
        self._trial_in_flight = False

    def record_failure(self) -> None:
        self._trial_in_flight = False
        if self._opened_at is not None:
            self._opened_at = self._clock()  # failed trial: stay open for another cooldown
            return
        self._failures += 1
        if self._failures >= self.failure_threshold:
            self._opened_at = self._clock()
