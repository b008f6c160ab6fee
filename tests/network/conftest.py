"""Network tests: real nodes and a real hub on loopback ports (tests/support/network.py)."""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable
from pathlib import Path
from typing import Any

import pytest

from tests.support.network import LiveNetwork, start_network

NetworkFactory = Callable[..., Awaitable[LiveNetwork]]


@pytest.fixture
async def network_factory(tmp_path: Path) -> AsyncIterator[NetworkFactory]:
    """``await network_factory([data, ...], hub_settings={...})``; closed at teardown."""
    started: list[LiveNetwork] = []

    async def make(members: list[dict[str, Any]], **kwargs: Any) -> LiveNetwork:
        net = await start_network(tmp_path / f"net{len(started)}", members, **kwargs)
        started.append(net)
        return net

    yield make
    for net in started:
        await net.close()
