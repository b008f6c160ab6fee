"""The scheduler's time: the real one, or one a test moves by hand."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta
from typing import Protocol


class Clock(Protocol):
    def now(self) -> datetime: ...

    async def sleep(self, seconds: float) -> None: ...


class SystemClock:
    def now(self) -> datetime:
        return datetime.now(UTC)

    async def sleep(self, seconds: float) -> None:
        await asyncio.sleep(max(0.0, seconds))


class ManualClock:
    """Time stands still until :meth:`advance`; sleepers wake when their time has come."""

    def __init__(self, start: datetime) -> None:
        if start.tzinfo is None:
            raise ValueError("the clock needs an aware datetime")
        self._now = start
        self._moved = asyncio.Condition()
        #: How many tasks are sleeping right now (tests wait for the scheduler to settle).
        self.sleepers = 0

    def now(self) -> datetime:
        return self._now

    async def sleep(self, seconds: float) -> None:
        until = self._now + timedelta(seconds=max(0.0, seconds))
        async with self._moved:
            self.sleepers += 1
            try:
                await self._moved.wait_for(lambda: self._now >= until)
            finally:
                self.sleepers -= 1

    async def advance(self, seconds: float) -> None:
        async with self._moved:
            self._now += timedelta(seconds=seconds)
            self._moved.notify_all()
