"""Waiting on a condition instead of sleeping and hoping (the machine is shared and loaded).

    await until(lambda: node.stopped, within=settings.member_timeout_seconds * 4, what="...")

The budget is the caller's, derived from the settings that govern the wait; the check is
retried every ``step`` seconds and the last value it returned is given back.
"""

from __future__ import annotations

import asyncio
import inspect
import time
from collections.abc import Awaitable, Callable
from typing import TypeVar

T = TypeVar("T")


async def until(
    check: Callable[[], Awaitable[T] | T], *, within: float, what: str, step: float = 0.02
) -> T:
    """Retry ``check`` until it returns a truthy value (given back), at most ``within``
    seconds; AssertionError naming ``what`` otherwise."""
    deadline = time.monotonic() + within
    while True:
        value = check()
        if inspect.isawaitable(value):
            value = await value
        if value:
            return value  # type: ignore[return-value]
        if time.monotonic() > deadline:
            raise AssertionError(f"not within {within:.1f} s: {what} (last: {value!r})")
        await asyncio.sleep(step)
